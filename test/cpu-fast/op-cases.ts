/**
 * Seeded single-node cases for the fast kernels: each builds one normalized IR node, its tensors and float32-exact
 * inputs, so the kernel and the op's float64 reference see the same numbers.
 */
import { packTernary } from '../../src/format/ternary-pack.js';
import type { Activation, Attrs, Graph, GraphNode, Tensor } from '../../src/graph/ir.js';
import { seededRandom, type Random } from '../../src/models/random.js';
import type { RefTensor } from '../../src/ops/op.js';
import { getOp } from '../../src/ops/registry.js';

export interface OpCase {
  readonly name: string;
  readonly graph: Graph;
  readonly node: GraphNode;
  readonly inputs: readonly RefTensor[];
}

interface LinearSpec {
  readonly weight: 'ternary' | 'f32';
  readonly alpha?: 'layer' | 'channel';
  readonly scale?: boolean;
  readonly bias?: boolean;
  readonly activation?: Activation;
  readonly residual?: boolean;
}

interface ConvSpec extends LinearSpec {
  readonly input: readonly [number, number, number, number];
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly stride?: readonly [number, number];
  readonly padding?: readonly [number, number];
}

interface DenseSpec extends LinearSpec {
  readonly batch: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

function randomInput(random: Random, shape: readonly number[]): RefTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape: [...shape], data: Float64Array.from(Float32Array.from({ length: size }, () => random.normal())) };
}

function f32Tensor(shape: readonly number[], values: ArrayLike<number>): Tensor {
  return { dtype: 'f32', shape: [...shape], data: Float32Array.from(values) };
}

function uniforms(random: Random, count: number, low: number, high: number): number[] {
  return Array.from({ length: count }, () => random.uniform(low, high));
}

function linearTensors(random: Random, weightShape: readonly number[], spec: LinearSpec): Map<string, Tensor> {
  const outChannels = weightShape[0]!;
  const size = weightShape.reduce((a, b) => a * b, 1);
  const tensors = new Map<string, Tensor>();
  if (spec.weight === 'ternary') {
    const codes = Array.from({ length: size }, () => {
      const u = random.uniform(0, 1);
      return u < 0.4 ? 0 : u < 0.7 ? 1 : -1;
    });
    tensors.set('weight', { dtype: 'ternary2', shape: [...weightShape], data: packTernary(codes, weightShape) });
    const alphaCount = spec.alpha === 'channel' ? outChannels : 1;
    tensors.set('alpha', f32Tensor([alphaCount], uniforms(random, alphaCount, 0.05, 0.5)));
  } else {
    tensors.set('weight', f32Tensor(weightShape, Array.from({ length: size }, () => 0.2 * random.normal())));
  }
  if (spec.scale) tensors.set('scale', f32Tensor([outChannels], uniforms(random, outChannels, 0.5, 1.5)));
  if (spec.bias) tensors.set('bias', f32Tensor([outChannels], uniforms(random, outChannels, -0.5, 0.5)));
  return tensors;
}

/** A node with its attrs normalized (defaults filled) as graphFromFile leaves them, and a graph holding its tensors. */
function opCase(name: string, op: string, inputs: readonly RefTensor[], attrs: Attrs, tensors: ReadonlyMap<string, Tensor>): OpCase {
  const raw: GraphNode = {
    name,
    op,
    inputs: inputs.map((_, i) => `in${i}`),
    outputs: ['out'],
    attrs,
    params: Object.fromEntries([...tensors.keys()].map((role) => [role, role])),
  };
  const node = { ...raw, attrs: getOp(op)!.normalize(raw, tensors, 'case') };
  const graph: Graph = {
    input: { name: 'in0', shape: [1, 1, 1], colorLayout: 'gray', mean: [0], std: [1], labels: [] },
    nodes: [node],
    outputs: ['out'],
    tensors,
    metadata: {},
  };
  return { name, graph, node, inputs };
}

function convCase(name: string, seed: number, spec: ConvSpec): OpCase {
  const random = seededRandom(seed);
  const [batch, channels, height, width] = spec.input;
  const tensors = linearTensors(random, [spec.outChannels, channels, ...spec.kernel], spec);
  const stride = spec.stride ?? [1, 1];
  const padding = spec.padding ?? [0, 0];
  const attrs = { kernel: spec.kernel, stride, padding, activation: spec.activation ?? 'none' };
  const inputs = [randomInput(random, spec.input)];
  if (spec.residual) {
    const extent = (size: number, axis: 0 | 1) => Math.floor((size + 2 * padding[axis] - spec.kernel[axis]) / stride[axis]) + 1;
    inputs.push(randomInput(random, [batch, spec.outChannels, extent(height, 0), extent(width, 1)]));
  }
  return opCase(name, 'conv2d', inputs, attrs, tensors);
}

function denseCase(name: string, seed: number, spec: DenseSpec): OpCase {
  const random = seededRandom(seed);
  const tensors = linearTensors(random, [spec.outFeatures, spec.inFeatures], spec);
  const inputs = [randomInput(random, [spec.batch, spec.inFeatures])];
  if (spec.residual) inputs.push(randomInput(random, [spec.batch, spec.outFeatures]));
  return opCase(name, 'dense', inputs, { activation: spec.activation ?? 'none' }, tensors);
}

function plainCase(name: string, seed: number, op: string, shapes: readonly (readonly number[])[], attrs: Attrs = {}, tensors = new Map<string, Tensor>()): OpCase {
  const random = seededRandom(seed);
  return opCase(name, op, shapes.map((shape) => randomInput(random, shape)), attrs, tensors);
}

function batchnormCase(name: string, seed: number, shape: readonly number[]): OpCase {
  const random = seededRandom(seed);
  const channels = shape[1]!;
  const stat = (low: number, high: number) => f32Tensor([channels], uniforms(random, channels, low, high));
  const tensors = new Map([
    ['gamma', stat(0.5, 1.5)],
    ['beta', stat(-0.2, 0.2)],
    ['mean', stat(-0.2, 0.2)],
    ['var', stat(0.5, 1.5)],
  ]);
  return opCase(name, 'batchnorm', [randomInput(random, shape)], { epsilon: 1e-5 }, tensors);
}

export const OP_CASES: readonly OpCase[] = [
  convCase('conv 1×1/1, 5→7 ch, per-layer α', 1, { input: [1, 5, 6, 6], outChannels: 7, kernel: [1, 1], weight: 'ternary' }),
  convCase('conv 1×1/2 projection, batch 2, per-channel α, scale+bias', 2, {
    input: [2, 12, 9, 9], outChannels: 20, kernel: [1, 1], stride: [2, 2], weight: 'ternary', alpha: 'channel', scale: true, bias: true,
  }),
  convCase('conv 3×3/1 pad 1, 3→17 ch, batch 3, relu', 3, {
    input: [3, 3, 11, 13], outChannels: 17, kernel: [3, 3], padding: [1, 1], weight: 'ternary', alpha: 'channel', bias: true, activation: 'relu',
  }),
  convCase('conv 3×3/2 pad 1, residual + relu, batch 2', 4, {
    input: [2, 19, 15, 15], outChannels: 10, kernel: [3, 3], stride: [2, 2], padding: [1, 1], weight: 'ternary', scale: true, bias: true,
    residual: true, activation: 'relu',
  }),
  convCase('conv 3×3/1 pad 1, residual without relu', 5, {
    input: [1, 6, 8, 8], outChannels: 6, kernel: [3, 3], padding: [1, 1], weight: 'ternary', alpha: 'channel', residual: true,
  }),
  convCase('conv 5×5/1 no pad, 1 input channel', 6, { input: [1, 1, 14, 14], outChannels: 9, kernel: [5, 5], weight: 'ternary', bias: true }),
  convCase('conv 5×5/2 pad 2, non-square image', 7, {
    input: [2, 6, 17, 12], outChannels: 5, kernel: [5, 5], stride: [2, 2], padding: [2, 2], weight: 'ternary', alpha: 'channel',
  }),
  convCase('conv 7×7/2 pad 3 stem, batch 2, relu', 8, {
    input: [2, 3, 23, 23], outChannels: 11, kernel: [7, 7], stride: [2, 2], padding: [3, 3], weight: 'ternary', scale: true, bias: true,
    activation: 'relu',
  }),
  convCase('conv 3×5 kernel, stride [1, 2], pad [1, 2]', 9, {
    input: [1, 4, 9, 10], outChannels: 6, kernel: [3, 5], stride: [1, 2], padding: [1, 2], weight: 'ternary', alpha: 'channel',
  }),
  convCase('conv wide K (150·9): many 8-pixel tiles and a leftover pixel', 10, {
    input: [2, 150, 7, 7], outChannels: 21, kernel: [3, 3], padding: [1, 1], weight: 'ternary', alpha: 'channel', bias: true,
  }),
  convCase('conv K 70·9: partial last tile', 11, { input: [1, 70, 8, 8], outChannels: 33, kernel: [3, 3], padding: [1, 1], weight: 'ternary' }),
  convCase('conv f32 3×3 pad 1, scale+bias, relu, batch 2', 12, {
    input: [2, 3, 10, 10], outChannels: 13, kernel: [3, 3], padding: [1, 1], weight: 'f32', scale: true, bias: true, activation: 'relu',
  }),
  convCase('conv f32 1×1 with residual', 13, { input: [1, 9, 5, 7], outChannels: 4, kernel: [1, 1], weight: 'f32', residual: true }),
  denseCase('dense batch 1, per-layer α, bias', 20, { batch: 1, inFeatures: 37, outFeatures: 10, weight: 'ternary', bias: true }),
  denseCase('dense batch 3, per-channel α, scale+bias, relu', 21, {
    batch: 3, inFeatures: 130, outFeatures: 29, weight: 'ternary', alpha: 'channel', scale: true, bias: true, activation: 'relu',
  }),
  denseCase('dense batch 9 (a block and a lane), residual + relu', 22, {
    batch: 9, inFeatures: 70, outFeatures: 12, weight: 'ternary', residual: true, activation: 'relu',
  }),
  denseCase('dense batch 16', 23, { batch: 16, inFeatures: 200, outFeatures: 7, weight: 'ternary', alpha: 'channel' }),
  denseCase('dense f32 batch 1, bias', 24, { batch: 1, inFeatures: 33, outFeatures: 10, weight: 'f32', bias: true }),
  denseCase('dense f32 batch 11, relu', 25, { batch: 11, inFeatures: 45, outFeatures: 6, weight: 'f32', scale: true, activation: 'relu' }),
  plainCase('maxpool 2×2/2', 30, 'maxpool', [[2, 3, 8, 8]], { kernel: [2, 2] }),
  plainCase('maxpool 3×3/2 pad 1, odd image', 31, 'maxpool', [[1, 5, 11, 9]], { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }),
  plainCase('maxpool 2×3/1, non-square', 32, 'maxpool', [[1, 2, 5, 7]], { kernel: [2, 3], stride: [1, 1] }),
  plainCase('avgpool 2×2/2', 33, 'avgpool', [[2, 3, 6, 6]], { kernel: [2, 2] }),
  plainCase('avgpool 3×3/2 pad 1 (padding left out of the count)', 34, 'avgpool', [[1, 4, 9, 10]], {
    kernel: [3, 3], stride: [2, 2], padding: [1, 1],
  }),
  plainCase('global_avgpool batch 2', 35, 'global_avgpool', [[2, 7, 5, 3]]),
  plainCase('add', 36, 'add', [[2, 3, 4, 5], [2, 3, 4, 5]], { activation: 'none' }),
  plainCase('add + relu', 37, 'add', [[1, 6, 3, 3], [1, 6, 3, 3]], { activation: 'relu' }),
  plainCase('relu', 38, 'relu', [[2, 5, 4, 4]]),
  plainCase('flatten', 39, 'flatten', [[3, 2, 4, 5]]),
  plainCase('softmax batch 3', 40, 'softmax', [[3, 10]]),
  plainCase('normalize rgb', 41, 'normalize', [[2, 3, 4, 4]], { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] }),
  batchnormCase('batchnorm [N, C, H, W]', 42, [2, 5, 3, 4]),
  batchnormCase('batchnorm [N, C]', 43, [3, 9]),
];
