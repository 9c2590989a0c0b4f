import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from './test-device.js';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { compileWebGpu } from '../../src/backends/webgpu/executor.js';
import { TwnDeviceError, TwnInputError } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import type { Graph } from '../../src/graph/ir.js';
import { buildLeNet5 } from '../../src/models/index.js';
import { BATCH_SIZES_KEPT } from '../../src/plan/batch-cache.js';
import { planGraph } from '../../src/plan/plan.js';
import { sharedWeightBlocks } from '../fuzz/adversarial-graphs.js';

interface DeviceSpy {
  readonly device: GPUDevice;
  readonly calls: { createBuffer: number; submit: number; writeBuffer: number };
  readonly live: Set<GPUBuffer>;
}

/**
 * The real device seen through a proxy that counts buffer creation, uploads and submits, tracks which buffers are
 * still alive, can report smaller limits than the device has, and can rewrite shaders on their way to the compiler.
 */
function spyOn(device: GPUDevice, limits: Partial<GPUSupportedLimits> = {}, rewriteShader = (code: string) => code): DeviceSpy {
  const calls = { createBuffer: 0, submit: 0, writeBuffer: 0 };
  const live = new Set<GPUBuffer>();
  const queue = new Proxy(device.queue, {
    get(target, key) {
      if (key === 'submit' || key === 'writeBuffer') calls[key]++;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const fakeLimits = new Proxy(device.limits, {
    get: (target, key) => (key in limits ? limits[key as keyof GPUSupportedLimits] : Reflect.get(target, key, target)),
  });
  const spied = new Proxy(device, {
    get(target, key) {
      if (key === 'queue') return queue;
      if (key === 'limits') return fakeLimits;
      if (key === 'createShaderModule') {
        return (descriptor: GPUShaderModuleDescriptor) => target.createShaderModule({ ...descriptor, code: rewriteShader(descriptor.code) });
      }
      if (key === 'createBuffer') {
        return (descriptor: GPUBufferDescriptor) => {
          calls.createBuffer++;
          const buffer = target.createBuffer(descriptor);
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => {
            live.delete(buffer);
            destroy();
          };
          live.add(buffer);
          return buffer;
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { device: spied, calls, live };
}

let device: GPUDevice;
let lenet: Graph;
const inputSize = 28 * 28;

beforeAll(async () => {
  device = await testDevice();
  lenet = graphFromFile(readTwnFile(buildLeNet5({ seed: 11 })));
});
afterAll(() => device?.destroy());

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('input errors dispatch nothing', () => {
  it.each([
    ['one value short', () => new Float32Array(inputSize - 1), 1, 'INPUT_SHAPE'],
    ['one sample too many for the batch', () => new Float32Array(2 * inputSize), 1, 'INPUT_SHAPE'],
    ['batch 0', () => new Float32Array(0), 0, 'INPUT_SHAPE'],
    ['fractional batch', () => new Float32Array(inputSize), 1.5, 'INPUT_SHAPE'],
    ['a Float64Array', () => new Float64Array(inputSize), 1, 'INPUT_TYPE'],
    ['a plain array', () => Array.from({ length: inputSize }, () => 0), 1, 'INPUT_TYPE'],
  ])('%s → TwnInputError', async (_name, makeInput, batch, code) => {
    const spy = spyOn(device);
    const model = await compileWebGpu(lenet, spy.device);
    const before = { ...spy.calls };
    const error = await rejection(model.run(makeInput() as Float32Array, batch));
    expect(error).toBeInstanceOf(TwnInputError);
    expect((error as TwnInputError).code).toBe(code);
    expect(spy.calls).toEqual(before);
    model.dispose();
  });
});

describe('device limits are checked before anything is created', () => {
  it.each([
    ['maxStorageBufferBindingSize', { maxStorageBufferBindingSize: 4096 }],
    ['maxBufferSize', { maxBufferSize: 4096 }],
    ['maxStorageBuffersPerShaderStage', { maxStorageBuffersPerShaderStage: 4 }],
    ['maxComputeWorkgroupsPerDimension', { maxComputeWorkgroupsPerDimension: 2 }],
    ['maxComputeInvocationsPerWorkgroup', { maxComputeInvocationsPerWorkgroup: 32 }],
  ])('%s', async (limit, limits) => {
    const spy = spyOn(device, limits);
    const error = await rejection(compileWebGpu(lenet, spy.device));
    expect(error).toBeInstanceOf(TwnDeviceError);
    expect((error as TwnDeviceError).code).toBe('LIMIT_EXCEEDED');
    expect((error as Error).message).toContain(limit);
    expect((error as Error).message).toMatch(/node "[^"]+" \(\w+\)/);
    expect(spy.calls.createBuffer).toBe(0);
  });

  it('a batch too large for the bindings is refused at run time, before any dispatch', async () => {
    const bytes = (shape: readonly number[]) => 4 * shape.reduce((a, b) => a * b, 1);
    const largestValue = Math.max(...[...planGraph(lenet, 1).shapes.values()].map(bytes));
    const largestParam = Math.max(...[...lenet.tensors.values()].map((tensor) => tensor.data.byteLength));
    const limit = Math.max(largestValue, largestParam);
    const batch = Math.floor(limit / largestValue) + 1;
    const spy = spyOn(device, { maxStorageBufferBindingSize: limit });
    const model = await compileWebGpu(lenet, spy.device);
    const before = spy.calls.submit;
    const error = await rejection(model.run(new Float32Array(batch * inputSize), batch));
    expect((error as TwnDeviceError).code).toBe('LIMIT_EXCEEDED');
    expect((error as Error).message).toContain(`at batch ${batch}`);
    expect(spy.calls.submit).toBe(before);
    await expect(model.run(new Float32Array(inputSize), 1)).resolves.toBeInstanceOf(Map);
    model.dispose();
  });

  it('maxRunBytes: a batch whose activations exceed it is refused (RUN_TOO_LARGE) before any buffer is made', async () => {
    const needed = (batch: number) => 4 * planGraph(optimize(lenet), batch).slots.reduce((sum, elements) => sum + elements, 0);
    const spy = spyOn(device);
    const model = await compileWebGpu(lenet, spy.device, { maxRunBytes: needed(2) });
    const before = spy.calls.createBuffer;
    const error = await rejection(model.run(new Float32Array(3 * inputSize), 3));
    expect(error).toBeInstanceOf(TwnInputError);
    expect(error).toMatchObject({ code: 'RUN_TOO_LARGE', message: expect.stringContaining(`maxRunBytes = ${needed(2)}`) });
    expect(spy.calls.createBuffer).toBe(before);
    await expect(model.run(new Float32Array(2 * inputSize), 2)).resolves.toBeInstanceOf(Map);
    model.dispose();
  });
});

describe('compilation errors', () => {
  it('a shader the device rejects becomes a TwnDeviceError, and nothing stays allocated', async () => {
    const spy = spyOn(device, {}, (code) => code.replace('fn main(', 'fn main(broken'));
    const error = await rejection(compileWebGpu(lenet, spy.device));
    expect(error).toBeInstanceOf(TwnDeviceError);
    expect(['VALIDATION', 'PIPELINE_FAILED']).toContain((error as TwnDeviceError).code);
    expect(spy.calls.createBuffer).toBeGreaterThan(0);
    expect(spy.live.size).toBe(0);
  });
});

describe('device loss', () => {
  it('rejects the pending and later runs with DEVICE_LOST; recompiling on a new device works', async () => {
    const input = Float32Array.from({ length: inputSize }, (_, i) => (i % 29) / 29);
    const doomed = await testDevice();
    const model = await compileWebGpu(lenet, doomed);
    const pending = model.run(input, 1);
    doomed.destroy();
    const pendingError = await rejection(pending);
    expect(pendingError).toBeInstanceOf(TwnDeviceError);
    expect((pendingError as TwnDeviceError).code).toBe('DEVICE_LOST');
    const laterError = await rejection(model.run(input, 1));
    expect((laterError as TwnDeviceError).code).toBe('DEVICE_LOST');

    const fresh = await testDevice();
    const recompiled = await compileWebGpu(lenet, fresh);
    const logits = (await recompiled.run(input, 1)).get(lenet.outputs[0]!)!;
    const reference = (await (await compileWebGpu(lenet, device)).run(input, 1)).get(lenet.outputs[0]!)!;
    expect(Array.from(logits)).toEqual(Array.from(reference));
    recompiled.dispose();
    fresh.destroy();
  });
});

describe('resources', () => {
  it('uploads the weights once, still 2-bit packed, and reports their bytes', async () => {
    const spy = spyOn(device);
    const model = await compileWebGpu(lenet, spy.device);
    const expected = model.graph.nodes.reduce((sum, node) => {
      const weight = model.graph.tensors.get(node.params.weight ?? '');
      // Packed words (or f32 weights) plus one multiplier and one bias per output channel; normalize: scale and shift.
      if (weight) return sum + weight.data.byteLength + 8 * weight.shape[0]!;
      return sum + (node.op === 'normalize' ? 8 * model.graph.input.shape[0] : 0);
    }, 0);
    expect(model.weightBytes).toBe(expected);
    const buffersAfterCompile = spy.calls.createBuffer;
    await model.run(new Float32Array(inputSize), 1);
    await model.run(new Float32Array(inputSize), 1);
    await model.run(new Float32Array(3 * inputSize), 3);
    const plan = planGraph(model.graph, 1);
    // Per batch size: one buffer per slot and one readback buffer; nothing more on later runs.
    expect(spy.calls.createBuffer - buffersAfterCompile).toBe(2 * (plan.slots.length + 1));
    model.dispose();
  });

  it('uploads a weight shared by several layers once', async () => {
    const blocks = 12;
    const graph = optimize(graphFromFile(sharedWeightBlocks(blocks)));
    const weight = graph.tensors.get('w')!;
    const convs = graph.nodes.filter((node) => node.params.weight === 'w');
    expect(convs).toHaveLength(blocks);
    const spy = spyOn(device);
    const model = await compileWebGpu(graph, spy.device);
    // One packed weight buffer for all 12 convolutions, plus each one's own multiplier and bias (one channel each)
    // and the input normalisation's scale and shift (one channel). Uploading per layer would make it 152.
    expect(model.weightBytes).toBe(Math.max(4, weight.data.byteLength) + blocks * 8 + 8);
    const input = new Float32Array(graph.input.shape.reduce((a, b) => a * b, 1)).fill(0.5);
    const cpu = new CpuExecutor().run(graph, input, 1).get(graph.outputs[0]!)!;
    const gpu = (await model.run(input, 1)).get(graph.outputs[0]!)!;
    expect(Math.max(...gpu.map((value, i) => Math.abs(value - cpu.data[i]!)))).toBeLessThan(1e-4);
    model.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(spy.live.size).toBe(0);
  });

  it('one upload and one submit per run', async () => {
    const spy = spyOn(device);
    const model = await compileWebGpu(lenet, spy.device);
    await model.run(new Float32Array(inputSize), 1);
    const before = { ...spy.calls };
    await model.run(new Float32Array(inputSize), 1);
    expect(spy.calls.submit - before.submit).toBe(1);
    expect(spy.calls.writeBuffer - before.writeBuffer).toBe(1);
    model.dispose();
  });

  it('reuses activation buffers by liveness', async () => {
    const model = await compileWebGpu(lenet, device);
    const plan = planGraph(model.graph, 4);
    const everyValue = [...plan.shapes.values()].reduce((sum, shape) => sum + 4 * shape.reduce((a, b) => a * b, 1), 0);
    expect(model.activationBytes(4)).toBeLessThan(everyValue);
    expect(model.activationBytes(4)).toBeGreaterThan(model.activationBytes(1));
    model.dispose();
  });

  it(`keeps buffers for the ${BATCH_SIZES_KEPT} most recently used batch sizes only, and an evicted size still runs`, async () => {
    const spy = spyOn(device);
    const model = await compileWebGpu(lenet, spy.device);
    const weightBuffers = spy.live.size;
    const buffersPerBatch = planGraph(model.graph, 1).slots.length + 1;
    const logits = async (batch: number) => (await model.run(new Float32Array(batch * inputSize).fill(0.5), batch)).get(model.graph.outputs[0]!)!;
    const first = await logits(1);
    for (let batch = 2; batch <= BATCH_SIZES_KEPT + 2; batch++) {
      await logits(batch);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(spy.live.size - weightBuffers).toBe(buffersPerBatch * Math.min(batch, BATCH_SIZES_KEPT));
    }
    expect([...(await logits(1))]).toEqual([...first]);
    model.dispose();
  });

  it('dispose destroys every buffer and later runs reject with DISPOSED', async () => {
    const spy = spyOn(device);
    const model = await compileWebGpu(lenet, spy.device);
    await model.run(new Float32Array(inputSize), 1);
    await model.run(new Float32Array(2 * inputSize), 2);
    expect(spy.live.size).toBeGreaterThan(0);
    model.dispose();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(spy.live.size).toBe(0);
    const error = await rejection(model.run(new Float32Array(inputSize), 1));
    expect((error as TwnDeviceError).code).toBe('DISPOSED');
  });
});
