import { describe, expect, it } from 'vitest';
import { writeTwnFile } from '../../src/format/writer.js';
import { loadModel } from '../../src/index.js';
import { buildVgg7 } from '../../src/models/index.js';
import { smallFile } from '../graph/fixtures.js';
import { describeTrend, heapTrend, SOAK_TIMEOUT_MS, settleAndCollect } from './heap.js';

const bytes = writeTwnFile(smallFile());
const input = Float32Array.from({ length: 16 }, (_, i) => i / 16);

describe('CPU backend lifetimes', () => {
  it('10,000 runs leave the heap flat', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    const trend = await heapTrend(() => model.run(input), 10_000);
    model.dispose();
    console.log(describeTrend('CPU runs', trend));
    expect(trend.bytesPerStep).toBeLessThan(64);
  }, SOAK_TIMEOUT_MS);

  it('300 load/run/dispose cycles leave the heap flat', async () => {
    const trend = await heapTrend(async () => {
      const model = await loadModel(bytes, { backend: 'cpu' });
      await model.run(input);
      model.dispose();
    }, 300);
    console.log(describeTrend('CPU load/run/dispose', trend));
    expect(trend.bytesPerStep).toBeLessThan(4096);
  }, SOAK_TIMEOUT_MS);

  it('a disposed model gives back its WebAssembly memory while the app still holds it', async () => {
    // VGG-7 at half width: its index lists and scratch take a few MiB of WebAssembly memory.
    const vgg = buildVgg7({ seed: 2, widthMultiplier: 0.5 });
    const wasmBytes = () => process.memoryUsage().arrayBuffers;
    await settleAndCollect();
    const before = wasmBytes();
    const model = await loadModel(vgg, { backend: 'cpu' });
    await model.run(new Float32Array(3 * 32 * 32));
    await settleAndCollect();
    const loaded = wasmBytes();
    model.dispose();
    await settleAndCollect();
    const disposed = wasmBytes();
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    console.log(`CPU VGG-7/2 WebAssembly memory: ${mib(loaded - before)}, after dispose ${mib(disposed - before)}`);
    expect(loaded - before).toBeGreaterThan(2 ** 20);
    // What stays is the model's own file (its graph's tensors view it); the memory the kernels took goes.
    expect(loaded - disposed).toBeGreaterThan((loaded - before) / 2);
    expect(model.disposed).toBe(true);
  });
});
