/**
 * Every shipped model (demo/models/models.json) on every backend reproduces the logits the exporter wrote in its
 * `-reference.json`: the .twn graph run in float64 by tools/twn/twn_reader.py on the first test images.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/executor.js';
import { compileWebGpu, type WebGpuModel } from '../../src/backends/webgpu/executor.js';
import { TwnDeviceError } from '../../src/errors.js';
import type { Graph } from '../../src/graph/ir.js';
import { testDevice } from '../webgpu/test-device.js';
import { expectLogitsMatch, singleOutput } from './logits.js';
import { loadReferenceRun, loadShippedGraph, SHIPPED_MODELS, type ReferenceRun } from './shipped-models.js';

/** The exporter's own float64 arithmetic, summed in another order: only rounding differences (~1e-14 observed). */
const FLOAT64_TOLERANCE = 1e-4;
/** float32 accumulation over up to a few thousand terms per output. */
const FLOAT32_TOLERANCE = 1e-3;

/**
 * LeNet-5 takes about a second per case; a full-width VGG-7 (~0.6 GMAC per image) would take a minute or more for
 * 16 images in the float64 reference or on SwiftShader, past the config's 120 s default.
 */
const SHIPPED_MODEL_TIMEOUT_MS = 600_000;

interface Backend {
  readonly name: string;
  readonly tolerance: number;
  /** Why this backend cannot run here; undefined when it can. Known only after beforeAll. */
  unavailableBecause(): string | undefined;
  /** The graph's single output for `batch` images given as flat pixel lists. */
  logits(graph: Graph, images: readonly (readonly number[])[]): Promise<ArrayLike<number>>;
}

const cpuReference = new CpuExecutor();
const fastCpu = new FastCpuExecutor();
let gpu: { device: GPUDevice; compiled: Map<Graph, Promise<WebGpuModel>> } | { skipReason: string } | undefined;

const BACKENDS: readonly Backend[] = [
  {
    name: 'CpuExecutor (float64)',
    tolerance: FLOAT64_TOLERANCE,
    unavailableBecause: () => undefined,
    // Float64 input: the exporter computed its logits from the JSON numbers read as doubles, not rounded to float32.
    logits: async (graph, images) => singleOutput(graph, cpuReference.run(graph, Float64Array.from(images.flat()), images.length)),
  },
  {
    name: 'FastCpuExecutor (float32)',
    tolerance: FLOAT32_TOLERANCE,
    unavailableBecause: () => undefined,
    logits: async (graph, images) => singleOutput(graph, fastCpu.run(graph, Float32Array.from(images.flat()), images.length)),
  },
  {
    name: 'WebGPU (Dawn)',
    tolerance: FLOAT32_TOLERANCE,
    unavailableBecause: () => (gpu !== undefined && 'skipReason' in gpu ? gpu.skipReason : undefined),
    logits: async (graph, images) => {
      if (gpu === undefined || 'skipReason' in gpu) throw new Error('no WebGPU device');
      let model = gpu.compiled.get(graph);
      if (model === undefined) {
        model = compileWebGpu(graph, gpu.device);
        gpu.compiled.set(graph, model);
      }
      return singleOutput(graph, await (await model).run(Float32Array.from(images.flat()), images.length));
    },
  },
];

beforeAll(async () => {
  try {
    gpu = { device: await testDevice(), compiled: new Map() };
  } catch (error) {
    // Only a missing adapter is a reason to skip; any other device failure is a failure.
    if (!(error instanceof TwnDeviceError && (error.code === 'NO_ADAPTER' || error.code === 'NO_WEBGPU'))) throw error;
    gpu = { skipReason: `no WebGPU adapter (${error.message}); CI provides Dawn on SwiftShader via VK_ICD_FILENAMES` };
  }
});

afterAll(async () => {
  if (gpu === undefined || 'skipReason' in gpu) return;
  // allSettled: a model that failed to compile has already failed its test and holds nothing to dispose.
  for (const result of await Promise.allSettled(gpu.compiled.values())) if (result.status === 'fulfilled') result.value.dispose();
  gpu.device.destroy();
});

/** Every reference image in one batched run, and image 0 alone (batch 1 takes different plan/tiling paths). */
const IMAGE_SETS = [
  { name: 'all reference images batched', select: (run: ReferenceRun) => ({ images: run.images, logits: run.logits }) },
  { name: 'image 0 alone', select: (run: ReferenceRun) => ({ images: run.images.slice(0, 1), logits: run.logits.slice(0, 1) }) },
] as const;

describe.each(SHIPPED_MODELS.map((model) => [model.file, model] as const))('%s reproduces its exporter reference logits', (_file, model) => {
  let graph: Graph;
  let reference: ReferenceRun;
  beforeAll(() => {
    graph = loadShippedGraph(model);
    reference = loadReferenceRun(model);
  });

  const cases = BACKENDS.flatMap((backend) => IMAGE_SETS.map((imageSet) => [`${backend.name}, ${imageSet.name}`, backend, imageSet] as const));
  // it.for, not it.each: only it.for hands the test its context (for context.skip with a reason).
  it.for(cases)('%s', { timeout: SHIPPED_MODEL_TIMEOUT_MS }, async ([label, backend, imageSet], context) => {
    const skipReason = backend.unavailableBecause();
    if (skipReason !== undefined) context.skip(skipReason);
    const { images, logits } = imageSet.select(reference);
    const started = performance.now();
    const ours = await backend.logits(graph, images);
    const elapsedMs = performance.now() - started;
    const observed = expectLogitsMatch(ours, logits, backend.tolerance, `${model.file}, ${label}`);
    console.log(
      `${model.file} | ${label} (batch ${images.length}): max |ours − ref| ${observed.maxAbsError.toExponential(2)}, ` +
        `relative ${observed.relativeError.toExponential(2)}, ${elapsedMs.toFixed(0)} ms`,
    );
  });
});
