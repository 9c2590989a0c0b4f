import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWebGpu } from '../../src/backends/webgpu/executor.js';
import { TwnDeviceError } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Graph } from '../../src/graph/ir.js';
import { loadModel } from '../../src/index.js';
import { smallFile } from '../graph/fixtures.js';
import { testDevice } from '../webgpu/test-device.js';
import { describeTrend, heapTrend, SOAK_TIMEOUT_MS, settleAndCollect } from './heap.js';

// Dawn from the `webgpu` package, on SwiftShader in CI. A tiny graph (conv, batchnorm, dense, softmax), so that
// thousands of runs fit in CI; the leaks these tests guard against were per run and per model, not per layer.
const device = await testDevice().catch(() => undefined);
const bytes = writeTwnFile(smallFile());
const input = Float32Array.from({ length: 16 }, (_, i) => i / 16);

afterAll(() => device?.destroy());

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (error: unknown) => error);
}

describe.skipIf(!device)('WebGPU lifetimes with a caller-owned device', () => {
  let shared: GPUDevice;
  beforeAll(() => {
    shared = device!;
  });

  /** Makes, runs and lets go of a compiled graph and a model; a function of its own, so no local outlives it. */
  async function useAndDrop(graph: Graph, i: number, register: (target: object, name: string) => void): Promise<void> {
    const compiled = await compileWebGpu(graph, shared);
    await compiled.run(input, 1);
    register(compiled, `compiled ${i}`);
    if (i % 2 === 0) compiled.dispose();
    const model = await loadModel(bytes, { device: shared });
    await model.run(input);
    model.dispose();
    register(model, `model ${i}`);
  }

  it('a disposed model, and one dropped without dispose, are collected while the device lives on', async () => {
    const graph = graphFromFile(readTwnFile(bytes));
    const collected = new Set<string>();
    const registry = new FinalizationRegistry<string>((name) => collected.add(name));
    for (let i = 0; i < 10; i++) await useAndDrop(graph, i, (target, name) => registry.register(target, name));
    for (let round = 0; round < 5 && collected.size < 20; round++) await settleAndCollect();
    expect(collected.size).toBe(20);
  });

  it('300 load/run/dispose cycles leave the heap flat', async () => {
    const trend = await heapTrend(async () => {
      const model = await loadModel(bytes, { device: shared });
      await model.run(input);
      model.dispose();
    }, 300);
    console.log(describeTrend('WebGPU load/run/dispose (shared device)', trend));
    // A retained model held its graph, pipelines and closures: ~14 KiB per cycle for this graph (~150 KiB LeNet-5).
    expect(trend.bytesPerStep).toBeLessThan(4096);
  }, SOAK_TIMEOUT_MS);

  it('10,000 runs leave the heap flat', async () => {
    const model = await loadModel(bytes, { device: shared });
    const trend = await heapTrend(() => model.run(input), 10_000);
    model.dispose();
    console.log(describeTrend('WebGPU runs', trend));
    // Racing the never-settling device.lost promise retained ~650 B per run.
    expect(trend.bytesPerStep).toBeLessThan(64);
  }, SOAK_TIMEOUT_MS);
});

describe.skipIf(!device)('device loss', () => {
  it('every pending and later call fails with DEVICE_LOST, at whichever moment the device goes', async () => {
    // The device is destroyed after 0, 1, 2, … settled steps of the first run: before the upload, during the
    // mapping, between runs.
    for (const ticks of [0, 1, 2, 5, 20]) {
      const doomed = await testDevice();
      const model = await loadModel(bytes, { device: doomed });
      const pending = [model.run(input), model.run(input), model.run(input)];
      for (let i = 0; i < ticks; i++) await new Promise((resolve) => setImmediate(resolve));
      doomed.destroy();
      const outcomes = await Promise.allSettled([...pending, model.run(input)]);
      const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as Error] : []));
      // Runs that finished before the loss keep their results; every other one is DEVICE_LOST, none hangs.
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(TwnDeviceError);
        expect(failure).toMatchObject({ code: 'DEVICE_LOST' });
      }
      expect(await errorOf(model.run(input))).toMatchObject({ code: 'DEVICE_LOST' });
      model.dispose();
    }
  });

  it('loading onto a destroyed device fails at load with DEVICE_LOST (not at the first run)', async () => {
    for (const backend of ['auto', 'webgpu'] as const) {
      const doomed = await testDevice();
      doomed.destroy();
      const error = await errorOf(loadModel(bytes, { device: doomed, backend }));
      expect(error).toBeInstanceOf(TwnDeviceError);
      expect(error).toMatchObject({ code: 'DEVICE_LOST' });
    }
    const doomed = await testDevice();
    doomed.destroy();
    const compiling = compileWebGpu(graphFromFile(readTwnFile(bytes)), doomed);
    expect(await errorOf(compiling)).toMatchObject({ code: 'DEVICE_LOST' });
  });
});
