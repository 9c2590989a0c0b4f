import { describe, expect, it } from 'vitest';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/index.js';
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
    // Every WebAssembly memory made while the model loads and runs, held weakly: once the model is disposed, none may
    // stay reachable, although the app still holds the model object.
    // VGG-7 at half width: its offset lists, grids and scratch take a few MiB of WebAssembly memory.
    const vgg = buildVgg7({ seed: 2, widthMultiplier: 0.5 });
    const { result: model, live } = await memoriesMadeWhile(async () => {
      const model = await loadModel(vgg, { backend: 'cpu' });
      await model.run(new Float32Array(3 * 32 * 32));
      return model;
    });
    await settleAndCollect();
    const loadedBytes = live().reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
    model.dispose();
    await collectUntilUnreachable(live);
    console.log(`CPU VGG-7/2 WebAssembly memory: ${(loadedBytes / 2 ** 20).toFixed(1)} MiB, ` +
      `${live().length} reachable after dispose`);
    expect(loadedBytes).toBeGreaterThan(2 ** 20);
    expect(live()).toEqual([]);
    expect(model.disposed).toBe(true);
  });

  it('an executor disposed while its helper threads boot lets go of its memory without waiting for them', async () => {
    // Disposed before the helper is up (it takes tens of milliseconds to boot): the helper never gets ready, and a
    // wait for it that outlived dispose held the memory for the whole helper start time (HELPER_START_MS, 10 s).
    const { result: started, live } = await memoriesMadeWhile(async () => {
      const executor = new FastCpuExecutor({ threads: 2 });
      expect((await executor.threadsPlanned()).threads).toBe(2);
      executor.dispose();
      return { threadInfo: executor.threadInfo() };
    });
    expect(live().length).toBe(1);
    await collectUntilUnreachable(live);
    expect(live()).toEqual([]);
    expect(await started.threadInfo).toEqual({ threads: 1, reason: 'the executor was disposed' });
  });
});

/**
 * Runs `make` and returns what it returns, with every WebAssembly memory made meanwhile held weakly (`live()`: those
 * still reachable).
 */
async function memoriesMadeWhile<T>(make: () => Promise<T>): Promise<{ result: T; live: () => WebAssembly.Memory[] }> {
  const made: WeakRef<WebAssembly.Memory>[] = [];
  const Original = WebAssembly.Memory;
  WebAssembly.Memory = class extends Original {
    constructor(descriptor: WebAssembly.MemoryDescriptor) {
      super(descriptor);
      made.push(new WeakRef(this));
    }
  };
  try {
    const result = await make();
    return { result, live: () => made.flatMap((ref) => ref.deref() ?? []) };
  } finally {
    WebAssembly.Memory = Original;
  }
}

/**
 * Collects until none of `live()` is reachable, for at most 5 s: helper threads (worker_threads) hold the shared
 * memory until they have exited, which terminate() only starts, and a loaded machine makes that slow.
 */
async function collectUntilUnreachable(live: () => unknown[]): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 5000; ) {
    await settleAndCollect();
    if (live().length === 0) return;
  }
}
