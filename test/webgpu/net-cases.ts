/**
 * Whole networks from the model builders, run on WebGPU and on the float64 CPU reference executor: the logits must
 * agree within 1e-3 of the largest reference logit and give the same argmax per sample. Shared by the Node tests
 * and the browser harness.
 */
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { compileWebGpu } from '../../src/backends/webgpu/executor.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildLeNet5, buildResNet18, buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';

export const NET_RELATIVE_TOLERANCE = 1e-3;

export interface NetSpec {
  readonly name: string;
  readonly batch: number;
  build(): Uint8Array;
}

export interface NetResult {
  readonly name: string;
  readonly pass: boolean;
  /** max |gpu − ref| / max |ref| over all logits. */
  readonly relativeError: number;
  readonly argmaxAgrees: boolean;
  readonly gpuMs: number;
  readonly referenceMs: number;
}

export const NET_CASES = {
  lenet5: { name: 'LeNet-5', batch: 1, build: () => buildLeNet5({ seed: 1 }) },
  lenet5Batch: { name: 'LeNet-5', batch: 5, build: () => buildLeNet5({ seed: 2 }) },
  lenet5Unfolded: {
    name: 'LeNet-5, explicit batchnorm nodes, per-channel α, float first/last layers',
    batch: 2,
    build: () => buildLeNet5({ seed: 3, foldBatchNorm: false, granularity: 'per-channel', fullPrecisionFirstLast: true }),
  },
  vgg7: { name: 'VGG-7 (full width)', batch: 1, build: () => buildVgg7({ seed: 4 }) },
  vgg7Batch: { name: 'VGG-7 (width × 0.25)', batch: 4, build: () => buildVgg7({ seed: 5, widthMultiplier: 0.25 }) },
  resnet18Cifar: { name: 'ResNet-18 CIFAR', batch: 1, build: () => buildResNet18({ seed: 6, variant: 'cifar' }) },
  resnet18CifarBatch: { name: 'ResNet-18 CIFAR', batch: 2, build: () => buildResNet18({ seed: 7, variant: 'cifar', granularity: 'per-channel' }) },
  // Batch 1 only: at 224×224 each extra sample costs about a minute on SwiftShader plus 20 s in the float64
  // reference, and the batched paths are the same kernels the other nets cover at batch > 1.
  resnet18ImageNet: { name: 'ResNet-18 ImageNet 224', batch: 1, build: () => buildResNet18({ seed: 8, variant: 'imagenet' }) },
} as const satisfies Record<string, NetSpec>;

function argmaxRows(values: ArrayLike<number>, rows: number): number[] {
  const width = values.length / rows;
  return Array.from({ length: rows }, (_, row) => {
    let best = 0;
    for (let k = 1; k < width; k++) if (values[row * width + k]! > values[row * width + best]!) best = k;
    return best;
  });
}

export async function checkNetCase(device: GPUDevice, spec: NetSpec): Promise<NetResult> {
  const graph = graphFromFile(readTwnFile(spec.build()));
  const random = seededRandom(1234);
  const input = Float32Array.from({ length: spec.batch * graph.input.shape.reduce((a, b) => a * b, 1) }, () => random.uniform(0, 1));
  const output = graph.outputs[0]!;

  const model = await compileWebGpu(graph, device);
  let gpu: Float32Array;
  const gpuStart = performance.now();
  try {
    gpu = (await model.run(input, spec.batch)).get(output)!;
  } finally {
    model.dispose();
  }
  const gpuMs = performance.now() - gpuStart;

  const referenceStart = performance.now();
  const reference = new CpuExecutor().run(graph, input, spec.batch).get(output)!.data;
  const referenceMs = performance.now() - referenceStart;

  let maxError = gpu.length === reference.length ? 0 : Infinity;
  let maxMagnitude = 0;
  for (let i = 0; i < reference.length; i++) {
    maxError = Math.max(maxError, Math.abs(gpu[i]! - reference[i]!));
    maxMagnitude = Math.max(maxMagnitude, Math.abs(reference[i]!));
  }
  const relativeError = maxError / Math.max(maxMagnitude, Number.MIN_VALUE);
  const argmaxAgrees = argmaxRows(gpu, spec.batch).join() === argmaxRows(reference, spec.batch).join();
  return {
    name: `${spec.name}, batch ${spec.batch}`,
    pass: relativeError <= NET_RELATIVE_TOLERANCE && argmaxAgrees,
    relativeError,
    argmaxAgrees,
    gpuMs,
    referenceMs,
  };
}
