/**
 * The kernel check cases, shared by the Node tests (vitest + Dawn) and the browser harness (Playwright + Chromium):
 * each case is one IR node with seeded random inputs and params, run through its WebGPU kernel and through the op's
 * float64 reference, compared at max|gpu − ref| ≤ 1e-4·max(1, max|ref|).
 */
import { BUFFER_USAGE, MAP_MODE_READ } from '../../src/backends/webgpu/gpu-constants.js';
import { bindDispatch, compileDispatch, destroyDispatch, encodeDispatch } from '../../src/backends/webgpu/dispatch.js';
import { getKernel } from '../../src/backends/webgpu/kernels/registry.js';
import { PipelineFactory, uploadBuffer } from '../../src/backends/webgpu/pipelines.js';
import { packTernary } from '../../src/format/ternary-pack.js';
import type { Activation, Attrs, Graph, GraphNode, Tensor } from '../../src/graph/ir.js';
import { seededRandom, type Random } from '../../src/models/random.js';
import type { RefTensor } from '../../src/ops/op.js';
import { getOp } from '../../src/ops/registry.js';

export interface KernelCase {
  readonly node: GraphNode;
  readonly tensors: ReadonlyMap<string, Tensor>;
  /** Activation inputs, batch first, in `node.inputs` order. */
  readonly inputs: readonly RefTensor[];
  /** Fold the grid as if the device allowed only this many workgroups per dimension (exercises the 2D fold cheaply). */
  readonly maxWorkgroupsPerDimension?: number;
}

export interface CaseSpec {
  readonly name: string;
  build(): KernelCase;
}

export interface CaseResult {
  readonly name: string;
  readonly pass: boolean;
  readonly maxError: number;
  readonly tolerance: number;
}

export const RELATIVE_TOLERANCE = 1e-4;

// --- builders -------------------------------------------------------------------------------------------------------

function randomTensor(random: Random, shape: readonly number[], spread = 1): RefTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape: [...shape], data: Float64Array.from({ length: size }, () => spread * random.normal()) };
}

function f32(shape: readonly number[], values: ArrayLike<number>): Tensor {
  return { dtype: 'f32', shape: [...shape], data: Float32Array.from(values) };
}

function uniformValues(random: Random, length: number, low: number, high: number): number[] {
  return Array.from({ length }, () => random.uniform(low, high));
}

interface LinearSpec {
  readonly weight: 'ternary' | 'f32';
  /** Ternary only: one α per layer or per output channel. */
  readonly alpha?: 'layer' | 'channel';
  readonly scale?: boolean;
  readonly bias?: boolean;
  readonly activation?: Activation;
  readonly residual?: boolean;
}

/** weight/alpha/scale/bias tensors for a conv2d or dense layer of weight shape [O, …]. */
function linearParams(random: Random, weightShape: readonly number[], spec: LinearSpec): Map<string, Tensor> {
  const outChannels = weightShape[0]!;
  const size = weightShape.reduce((a, b) => a * b, 1);
  const tensors = new Map<string, Tensor>();
  if (spec.weight === 'ternary') {
    // About 40% zeros, as Δ = 0.7·mean|W| gives on Gaussian weights.
    const codes = Array.from({ length: size }, () => {
      const u = random.uniform(0, 1);
      return u < 0.4 ? 0 : u < 0.7 ? 1 : -1;
    });
    tensors.set('weight', { dtype: 'ternary2', shape: [...weightShape], data: packTernary(codes, weightShape) });
    const alphaCount = spec.alpha === 'channel' ? outChannels : 1;
    tensors.set('alpha', f32([alphaCount], uniformValues(random, alphaCount, 0.05, 0.5)));
  } else {
    tensors.set('weight', f32(weightShape, Array.from({ length: size }, () => 0.2 * random.normal())));
  }
  if (spec.scale) tensors.set('scale', f32([outChannels], uniformValues(random, outChannels, 0.5, 1.5)));
  if (spec.bias) tensors.set('bias', f32([outChannels], uniformValues(random, outChannels, -0.3, 0.3)));
  return tensors;
}

function node(op: string, inputs: number, attrs: Attrs, params: readonly string[] = []): GraphNode {
  return {
    name: op,
    op,
    inputs: Array.from({ length: inputs }, (_, i) => `in${i}`),
    outputs: ['out'],
    attrs,
    params: Object.fromEntries(params.map((role) => [role, role])),
  };
}

interface ConvSpec extends LinearSpec {
  readonly batch: number;
  readonly channels: number;
  readonly size: readonly [number, number];
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly maxWorkgroupsPerDimension?: number;
}

function conv(name: string, seed: number, spec: ConvSpec): CaseSpec {
  return {
    name: `conv2d ${name}`,
    build() {
      const random = seededRandom(seed);
      const [kh, kw] = spec.kernel;
      const tensors = linearParams(random, [spec.outChannels, spec.channels, kh, kw], spec);
      const attrs = { kernel: spec.kernel, stride: spec.stride, padding: spec.padding, activation: spec.activation ?? 'none' };
      const x = randomTensor(random, [spec.batch, spec.channels, ...spec.size]);
      const inputs = [x];
      if (spec.residual) {
        const outH = Math.floor((spec.size[0] + 2 * spec.padding[0] - kh) / spec.stride[0]) + 1;
        const outW = Math.floor((spec.size[1] + 2 * spec.padding[1] - kw) / spec.stride[1]) + 1;
        inputs.push(randomTensor(random, [spec.batch, spec.outChannels, outH, outW]));
      }
      return {
        node: node('conv2d', inputs.length, attrs, [...tensors.keys()]),
        tensors,
        inputs,
        maxWorkgroupsPerDimension: spec.maxWorkgroupsPerDimension,
      };
    },
  };
}

function dense(name: string, seed: number, spec: LinearSpec & { batch: number; features: number; outFeatures: number }): CaseSpec {
  return {
    name: `dense ${name}`,
    build() {
      const random = seededRandom(seed);
      const tensors = linearParams(random, [spec.outFeatures, spec.features], spec);
      const inputs = [randomTensor(random, [spec.batch, spec.features])];
      if (spec.residual) inputs.push(randomTensor(random, [spec.batch, spec.outFeatures]));
      return { node: node('dense', inputs.length, { activation: spec.activation ?? 'none' }, [...tensors.keys()]), tensors, inputs };
    },
  };
}

/** An op without params on random inputs of the given shapes. */
function simple(op: string, name: string, seed: number, shapes: readonly (readonly number[])[], attrs: Attrs = {}, extra: Partial<KernelCase> = {}): CaseSpec {
  return {
    name: `${op} ${name}`,
    build() {
      const random = seededRandom(seed);
      return { node: node(op, shapes.length, attrs), tensors: new Map(), inputs: shapes.map((s) => randomTensor(random, s)), ...extra };
    },
  };
}

function batchnorm(name: string, seed: number, shape: readonly number[]): CaseSpec {
  return {
    name: `batchnorm ${name}`,
    build() {
      const random = seededRandom(seed);
      const channels = shape[1]!;
      const tensors = new Map<string, Tensor>([
        ['gamma', f32([channels], uniformValues(random, channels, 0.5, 1.5))],
        ['beta', f32([channels], uniformValues(random, channels, -0.3, 0.3))],
        ['mean', f32([channels], uniformValues(random, channels, -0.3, 0.3))],
        ['var', f32([channels], uniformValues(random, channels, 0.5, 2))],
      ]);
      return { node: node('batchnorm', 1, { epsilon: 1e-5 }, [...tensors.keys()]), tensors, inputs: [randomTensor(random, shape)] };
    },
  };
}

// --- the table ------------------------------------------------------------------------------------------------------

const ternary = { weight: 'ternary' } as const;
const same = (n: number) => [n, n] as const;

export const KERNEL_CASES: readonly CaseSpec[] = [
  conv('3×3 s1 p1, 3→8 ch, 7×9, per-layer α, bias, relu', 1, {
    ...ternary, batch: 1, channels: 3, size: [7, 9], outChannels: 8, kernel: same(3), stride: same(1), padding: same(1), bias: true, activation: 'relu',
  }),
  conv('1×1, K = 17 straddles a packed word, per-channel α, scale, batch 2', 2, {
    ...ternary, alpha: 'channel', batch: 2, channels: 17, size: [5, 5], outChannels: 5, kernel: same(1), stride: same(1), padding: same(0), scale: true,
  }),
  conv('3×3 s2 p1, 16→20 ch, 9×9, residual + relu, batch 3', 3, {
    ...ternary, alpha: 'channel', batch: 3, channels: 16, size: [9, 9], outChannels: 20, kernel: same(3), stride: same(2), padding: same(1),
    scale: true, bias: true, residual: true, activation: 'relu',
  }),
  conv('5×5 p2, 1→6 ch, 28×28 (784 positions, several workgroups)', 4, {
    ...ternary, batch: 1, channels: 1, size: [28, 28], outChannels: 6, kernel: same(5), stride: same(1), padding: same(2), bias: true,
  }),
  conv('7×7 s2 p3, 3→12 ch, 23×23, batch 2 (ImageNet stem)', 5, {
    ...ternary, alpha: 'channel', batch: 2, channels: 3, size: [23, 23], outChannels: 12, kernel: same(7), stride: same(2), padding: same(3),
    scale: true, bias: true, activation: 'relu',
  }),
  conv('1×1 s2, 33→9 ch, 10×10, batch 2 (downsample shortcut)', 6, {
    ...ternary, batch: 2, channels: 33, size: [10, 10], outChannels: 9, kernel: same(1), stride: same(2), padding: same(0), scale: true,
  }),
  conv('1×1, 8→300 ch, 16×16 (exactly one workgroup of positions)', 7, {
    ...ternary, alpha: 'channel', batch: 1, channels: 8, size: [16, 16], outChannels: 300, kernel: same(1), stride: same(1), padding: same(0), bias: true,
  }),
  conv('3×1 kernel, stride [2, 1], padding [1, 0], 5→7 ch, 11×6', 8, {
    ...ternary, batch: 2, channels: 5, size: [11, 6], outChannels: 7, kernel: [3, 1], stride: [2, 1], padding: [1, 0], bias: true,
  }),
  conv('3×3 on a 2×2 image with padding 1, 64→10 ch, batch 4 (late-layer shape)', 9, {
    ...ternary, alpha: 'channel', batch: 4, channels: 64, size: [2, 2], outChannels: 10, kernel: same(3), stride: same(1), padding: same(1),
    scale: true, bias: true, residual: true, activation: 'relu',
  }),
  conv('3×3 p1, 4→9 ch, 12×12, batch 2, grid folded to ≤ 3 workgroups per dimension', 10, {
    ...ternary, batch: 2, channels: 4, size: [12, 12], outChannels: 9, kernel: same(3), stride: same(1), padding: same(1), bias: true,
    maxWorkgroupsPerDimension: 3,
  }),
  conv('float 3×3 p1, 5→7 ch, 6×11, bias, relu, batch 2', 11, {
    weight: 'f32', batch: 2, channels: 5, size: [6, 11], outChannels: 7, kernel: same(3), stride: same(1), padding: same(1), bias: true, activation: 'relu',
  }),
  conv('float 5×5 s2, 2→3 ch, 13×13, residual', 12, {
    weight: 'f32', batch: 1, channels: 2, size: [13, 13], outChannels: 3, kernel: same(5), stride: same(2), padding: same(0), residual: true,
  }),
  dense('K = 37, 10 out, per-layer α, bias', 13, { ...ternary, batch: 1, features: 37, outFeatures: 10, bias: true }),
  dense('K = 512, 300 out, batch 5, per-channel α, scale, bias, residual, relu', 14, {
    ...ternary, alpha: 'channel', batch: 5, features: 512, outFeatures: 300, scale: true, bias: true, residual: true, activation: 'relu',
  }),
  dense('float K = 20, 7 out, batch 3, bias', 15, { weight: 'f32', batch: 3, features: 20, outFeatures: 7, bias: true }),
  simple('maxpool', '2×2 s2 on 7×9 (odd sizes floor), batch 2', 16, [[2, 4, 7, 9]], { kernel: same(2), stride: same(2), padding: same(0) }),
  simple('maxpool', '3×3 s2 p1 on 15×15 (ResNet stem)', 17, [[1, 5, 15, 15]], { kernel: same(3), stride: same(2), padding: same(1) }),
  simple('avgpool', '3×3 s2 p1 on 10×10, padding left out of the count', 18, [[2, 3, 10, 10]], { kernel: same(3), stride: same(2), padding: same(1) }),
  simple('avgpool', '2×2 s2 on 8×8', 19, [[1, 2, 8, 8]], { kernel: same(2), stride: same(2), padding: same(0) }),
  simple('global_avgpool', '70 ch, 7×7, batch 3', 20, [[3, 70, 7, 7]]),
  simple('global_avgpool', '1×1 image', 21, [[2, 3, 1, 1]]),
  simple('relu', '[2, 5, 9, 9]', 22, [[2, 5, 9, 9]]),
  simple('relu', 'over 65535 workgroups (the grid folds into 2D on every device)', 23, [[1, 1, 65536 * 64 + 100]]),
  simple('add', 'no activation, [3, 7, 5, 5]', 24, [[3, 7, 5, 5], [3, 7, 5, 5]], { activation: 'none' }),
  simple('add', 'relu, grid folded to ≤ 5 workgroups per dimension', 25, [[1, 9, 11, 11], [1, 9, 11, 11]], { activation: 'relu' }, {
    maxWorkgroupsPerDimension: 5,
  }),
  batchnorm('[2, 6, 5, 7]', 26, [2, 6, 5, 7]),
  batchnorm('[3, 19] (after dense)', 27, [3, 19]),
  simple('normalize', 'rgb [2, 3, 8, 8]', 28, [[2, 3, 8, 8]], { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] }),
  simple('softmax', '[1, 10]', 29, [[1, 10]]),
  simple('softmax', '130 rows (more than one workgroup), K = 7', 30, [[130, 7]]),
  simple('flatten', '[2, 3, 4, 5] is an alias', 31, [[2, 3, 4, 5]]),
];

// --- running a case -------------------------------------------------------------------------------------------------

function singleNodeGraph(kase: KernelCase): Graph {
  return {
    input: { name: 'in0', shape: [1, 1, 1], colorLayout: 'gray', mean: [0], std: [1], labels: [] },
    nodes: [kase.node],
    outputs: kase.node.outputs,
    tensors: kase.tensors,
    metadata: { trained: false },
  };
}

/** Runs the node's kernel on the device and returns its output. */
export async function runOnGpu(device: GPUDevice, kase: KernelCase): Promise<Float32Array> {
  const graph = singleNodeGraph(kase);
  const kernel = getKernel(kase.node.op);
  const op = getOp(kase.node.op);
  if (kernel === undefined || op === undefined) throw new Error(`no kernel or op for ${kase.node.op}`);
  const batch = kase.inputs[0]!.shape[0]!;
  const inputShapes = kase.inputs.map((input) => [1, ...input.shape.slice(1)]);
  const [outputShape] = op.inferShapes(inputShapes, kase.node, graph, kase.node.name);
  const plan = kernel.plan({ node: kase.node, graph, inputShapes, outputShape: outputShape! });
  if (plan.kind === 'alias') return Float32Array.from(kase.inputs[0]!.data);

  const compiled = await compileDispatch(device, new PipelineFactory(device), plan, kase.node.name);
  const inputs = kase.inputs.map((input, i) => uploadBuffer(device, Float32Array.from(input.data), `in${i}`));
  const outputBytes = 4 * batch * outputShape!.slice(1).reduce((a, b) => a * b, 1);
  const output = device.createBuffer({ size: outputBytes, usage: BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_SRC });
  const staging = device.createBuffer({ size: outputBytes, usage: BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST });
  const placeholder = uploadBuffer(device, new Float32Array(1), 'placeholder');
  try {
    const bindGroup = bindDispatch(device, compiled, { buffer: output }, inputs.map((buffer) => ({ buffer })), placeholder);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatch(pass, compiled, bindGroup, batch, kase.maxWorkgroupsPerDimension ?? device.limits.maxComputeWorkgroupsPerDimension);
    pass.end();
    encoder.copyBufferToBuffer(output, 0, staging, 0, outputBytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    return new Float32Array(staging.getMappedRange().slice(0));
  } finally {
    for (const buffer of [...inputs, output, staging, placeholder]) buffer.destroy();
    destroyDispatch(compiled);
  }
}

export function referenceOutput(kase: KernelCase): RefTensor {
  const op = getOp(kase.node.op);
  if (op === undefined) throw new Error(`no op ${kase.node.op}`);
  return op.reference(kase.inputs, kase.node, singleNodeGraph(kase))[0]!;
}

export function compareToReference(actual: ArrayLike<number>, expected: ArrayLike<number>, relativeTolerance: number) {
  let maxError = actual.length === expected.length ? 0 : Infinity;
  let maxMagnitude = 0;
  for (let i = 0; i < expected.length; i++) {
    maxError = Math.max(maxError, Math.abs(actual[i]! - expected[i]!));
    maxMagnitude = Math.max(maxMagnitude, Math.abs(expected[i]!));
  }
  const tolerance = relativeTolerance * Math.max(1, maxMagnitude);
  // `!(x > t)` so that NaN fails.
  return { maxError, tolerance, pass: !(maxError > tolerance) };
}

export async function checkKernelCase(device: GPUDevice, spec: CaseSpec): Promise<CaseResult> {
  const kase = spec.build();
  const gpu = await runOnGpu(device, kase);
  return { name: spec.name, ...compareToReference(gpu, referenceOutput(kase).data, RELATIVE_TOLERANCE) };
}
