/** Where the CPU backend runs by default: the calling thread for short runs, a Web Worker for long ones. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { multiplyAddsPerImage } from '../../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { createExecutor, type Executor } from '../../src/api/executor.js';
import { PAGE_THREAD_MAX_WORK, pageThreadBatch, routedExecutor } from '../../src/api/page-thread.js';
import { buildVgg7 } from '../../src/models/index.js';

const graphOf = (bytes: Uint8Array) => optimize(graphFromFile(readTwnFile(bytes)));
const lenet = graphOf(readFileSync(new URL('../../demo/models/lenet5-twn.twn', import.meta.url)));

describe('the page-thread bound', () => {
  it("counts LeNet-5's multiply-adds per image as worked out by hand", () => {
    // conv1 32×(1·5·5) over 24², conv2 64×(32·5·5) over 8², fc1 1024→512, fc2 512→10.
    const byHand = 32 * 25 * 24 * 24 + 64 * 800 * 8 * 8 + 1024 * 512 + 512 * 10;
    expect(multiplyAddsPerImage(lenet)).toBe(byHand);
  });

  it('keeps LeNet-5 on the calling thread up to batch 9, and sends every VGG-7 run to the worker', () => {
    expect(pageThreadBatch(multiplyAddsPerImage(lenet))).toBe(9);
    expect(9 * multiplyAddsPerImage(lenet)).toBeLessThanOrEqual(PAGE_THREAD_MAX_WORK);
    expect(10 * multiplyAddsPerImage(lenet)).toBeGreaterThan(PAGE_THREAD_MAX_WORK);
    expect(pageThreadBatch(multiplyAddsPerImage(graphOf(buildVgg7({ seed: 3 }))))).toBe(0);
  });
});

describe('routedExecutor', () => {
  it('runs batches up to the bound on the calling thread and larger ones in the worker, with the same logits', async () => {
    const cpu = { kind: 'cpu', requested: 'cpu', reason: '', ownsDevice: false } as const;
    const ran: string[] = [];
    const recorded = async (name: string): Promise<Executor> => {
      const executor = await createExecutor(lenet, cpu, { threads: 1 });
      return { ...executor, run: (input, batch) => (ran.push(`${name} ${batch}`), executor.run(input, batch)) };
    };
    let workerStarts = 0;
    const routed = routedExecutor(await recorded('page'), 2, () => (workerStarts++, recorded('worker')), 'why');
    const reference = await createExecutor(lenet, cpu, { threads: 1 });
    const input = Float32Array.from({ length: 9 * 28 * 28 }, (_, i) => ((i * 7) % 255) / 255);
    expect(routed.thread).toBe('main');
    expect(routed.threadReason).toBe('why');
    expect(workerStarts).toBe(0);
    for (const batch of [1, 2, 3, 1, 3]) {
      const images = input.subarray(0, batch * 28 * 28);
      expect(await routed.run(images, batch)).toEqual(await reference.run(images, batch));
    }
    expect(ran).toEqual(['page 1', 'page 2', 'worker 3', 'page 1', 'worker 3']);
    expect(workerStarts).toBe(1);
    routed.dispose();
    reference.dispose();
  });
});
