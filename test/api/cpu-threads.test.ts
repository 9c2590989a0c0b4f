/** The CPU backend's threads as the API reports them (Node: helpers are worker_threads, always available). */
import { describe, expect, it } from 'vitest';
import { writeTwnFile } from '../../src/format/writer.js';
import { loadModel } from '../../src/index.js';
import { buildVgg7 } from '../../src/models/index.js';
import { smallFile } from '../graph/fixtures.js';

describe('CPU backend threads', () => {
  it('a model with enough work runs on the threads asked for, with the same logits as one thread', async () => {
    const bytes = buildVgg7({ seed: 8, widthMultiplier: 0.25 });
    const input = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => (i % 17) / 17);
    const two = await loadModel(bytes, { backend: 'cpu', threads: 2 });
    const one = await loadModel(bytes, { backend: 'cpu', threads: 1 });
    expect(two.info.backend.threads).toBe(2);
    expect(two.info.backend.threadsReason).toBeUndefined();
    expect(one.info.backend.threads).toBe(1);
    expect(await two.run(input)).toEqual(await one.run(input));
    two.dispose();
    one.dispose();
  });

  it('threads that are no whole number from 1 to 64 are a BAD_OPTIONS input error, before the file is read', async () => {
    for (const threads of [0, -1, 1.5, Number.NaN, Infinity, 65, '2' as unknown as number]) {
      const rejected = loadModel(new Uint8Array(0), { backend: 'cpu', threads });
      await expect(rejected).rejects.toMatchObject({ name: 'TwnInputError', code: 'BAD_OPTIONS' });
      await expect(rejected).rejects.toThrow(/threads must be an integer from 1 to 64/);
    }
    const model = await loadModel(writeTwnFile(smallFile()), { backend: 'cpu', threads: 64 });
    expect(model.info.backend.threads).toBe(1); // too small for threads: accepted, and says why
    model.dispose();
  });

  it('a tiny model runs on one thread and says why', async () => {
    const model = await loadModel(writeTwnFile(smallFile()), { backend: 'cpu', threads: 4 });
    expect(model.info.backend.threads).toBe(1);
    expect(model.info.backend.threadsReason).toMatch(/too small for threads/);
    model.dispose();
  });
});
