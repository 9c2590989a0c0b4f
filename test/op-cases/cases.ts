/**
 * The one table of seeded single-node op cases, run by every backend against the float64 reference (like tinygrad's
 * test_ops): test/cpu-fast/ops.test.ts (FastCpuExecutor's kernels), test/webgpu/kernels.test.ts (WGSL kernels in
 * Node through Dawn) and the browser harness (test/browser/, the same kernels in Chromium). Each case is one IR node
 * with its attrs normalized as graphFromFile leaves them, the graph holding its params, and float32-exact inputs, so
 * that a float32 backend and the reference see the same numbers. Runners: ./run-cpu-fast.ts and ./run-webgpu.ts;
 * the comparison: ./compare.ts.
 *
 * No imports from a backend here: the browser harness bundles this module through Vite.
 */
import { packTernary } from '../../src/format/ternary-pack.js';
import type { Activation, Attrs, Graph, GraphNode, Tensor } from '../../src/graph/ir.js';
import { seededRandom, type Random } from '../../src/models/random.js';
import type { RefTensor } from '../../src/ops/op.js';
import { getOp } from '../../src/ops/registry.js';

export interface OpCase {
  readonly name: string;
  /** One node, the graph's tensor table holding its params. */
  readonly graph: Graph;
  readonly node: GraphNode;
  /** Activation inputs, batch first, in `node.inputs` order. */
  readonly inputs: readonly RefTensor[];
  /**
   * WebGPU only (other backends ignore it): fold the grid as if the device allowed only this many workgroups per
   * dimension, which exercises the 2D fold cheaply.
   */
  readonly maxWorkgroupsPerDimension?: number;
}

/** A case built on demand: building the largest one costs tens of megabytes. */
export interface OpCaseSpec {
  readonly name: string;
  build(): OpCase;
}

/** Knobs for one backend, carried by the case and ignored by the others. */
interface BackendKnobs {
  readonly maxWorkgroupsPerDimension?: number;
}

// --- builders -------------------------------------------------------------------------------------------------------

/** Standard normal values rounded to float32, so the reference and a float32 kernel start from the same inputs. */
function randomInput(random: Random, shape: readonly number[]): RefTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape: [...shape], data: Float64Array.from(Float32Array.from({ length: size }, () => random.normal())) };
}

function f32(shape: readonly number[], values: ArrayLike<number>): Tensor {
  return { dtype: 'f32', shape: [...shape], data: Float32Array.from(values) };
}

function uniforms(random: Random, count: number, low: number, high: number): number[] {
  return Array.from({ length: count }, () => random.uniform(low, high));
}

interface LinearSpec extends BackendKnobs {
  readonly weight: 'ternary' | 'f32';
  /** Ternary only: one α per layer (the default) or per output channel. */
  readonly alpha?: 'layer' | 'channel';
  readonly scale?: boolean;
  readonly bias?: boolean;
  readonly activation?: Activation;
  /** A fused residual input, added before the activation. */
  readonly residual?: boolean;
}

interface ConvSpec extends LinearSpec {
  /** [N, C, H, W] */
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

/** weight/alpha/scale/bias tensors for a conv2d or dense layer of weight shape [O, …]. */
function linearTensors(random: Random, weightShape: readonly number[], spec: LinearSpec): Map<string, Tensor> {
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
    tensors.set('alpha', f32([alphaCount], uniforms(random, alphaCount, 0.05, 0.5)));
  } else {
    tensors.set('weight', f32(weightShape, Array.from({ length: size }, () => 0.2 * random.normal())));
  }
  if (spec.scale) tensors.set('scale', f32([outChannels], uniforms(random, outChannels, 0.5, 1.5)));
  if (spec.bias) tensors.set('bias', f32([outChannels], uniforms(random, outChannels, -0.5, 0.5)));
  return tensors;
}

/** A node with its attrs normalized (defaults filled) as graphFromFile leaves them, and a graph holding its tensors. */
function opCase(
  name: string,
  op: string,
  inputs: readonly RefTensor[],
  attrs: Attrs,
  tensors: ReadonlyMap<string, Tensor>,
  knobs: BackendKnobs = {},
): OpCase {
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
    outputs: node.outputs,
    tensors,
    metadata: {},
  };
  return { name, graph, node, inputs, maxWorkgroupsPerDimension: knobs.maxWorkgroupsPerDimension };
}

/** A case under `name`, built on demand from a random stream seeded by `seed`. */
function lazyCase(name: string, seed: number, build: (random: Random, name: string) => OpCase): OpCaseSpec {
  return { name, build: () => build(seededRandom(seed), name) };
}

function conv(name: string, seed: number, spec: ConvSpec): OpCaseSpec {
  return lazyCase(`conv2d ${name}`, seed, (random, fullName) => {
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
    return opCase(fullName, 'conv2d', inputs, attrs, tensors, spec);
  });
}

function dense(name: string, seed: number, spec: DenseSpec): OpCaseSpec {
  return lazyCase(`dense ${name}`, seed, (random, fullName) => {
    const tensors = linearTensors(random, [spec.outFeatures, spec.inFeatures], spec);
    const inputs = [randomInput(random, [spec.batch, spec.inFeatures])];
    if (spec.residual) inputs.push(randomInput(random, [spec.batch, spec.outFeatures]));
    return opCase(fullName, 'dense', inputs, { activation: spec.activation ?? 'none' }, tensors, spec);
  });
}

/** An op without params on random inputs of the given shapes. */
function plain(op: string, name: string, seed: number, shapes: readonly (readonly number[])[], attrs: Attrs = {}, knobs: BackendKnobs = {}): OpCaseSpec {
  return lazyCase(`${op} ${name}`, seed, (random, fullName) =>
    opCase(fullName, op, shapes.map((shape) => randomInput(random, shape)), attrs, new Map(), knobs),
  );
}

function batchnorm(name: string, seed: number, shape: readonly number[]): OpCaseSpec {
  return lazyCase(`batchnorm ${name}`, seed, (random, fullName) => {
    const channels = shape[1]!;
    const stat = (low: number, high: number) => f32([channels], uniforms(random, channels, low, high));
    const tensors = new Map([
      ['gamma', stat(0.5, 1.5)],
      ['beta', stat(-0.3, 0.3)],
      ['mean', stat(-0.3, 0.3)],
      ['var', stat(0.5, 2)],
    ]);
    return opCase(fullName, 'batchnorm', [randomInput(random, shape)], { epsilon: 1e-5 }, tensors);
  });
}

// --- the table ------------------------------------------------------------------------------------------------------

const ternary = { weight: 'ternary' } as const;
const same = (n: number) => [n, n] as const;

/** Every case, every backend. Seeds are unique, so no two cases draw the same numbers. */
export const OP_CASES: readonly OpCaseSpec[] = [
  // conv2d, ternary weights: kernels 1/3/5/7 and rectangular, strides 1/2, padding, batch > 1, α per layer/channel.
  conv('1×1, 5→7 ch, per-layer α', 1, { ...ternary, input: [1, 5, 6, 6], outChannels: 7, kernel: same(1) }),
  conv('1×1, K = 17 straddles a packed word, per-channel α, scale, batch 2', 2, {
    ...ternary, alpha: 'channel', input: [2, 17, 5, 5], outChannels: 5, kernel: same(1), scale: true,
  }),
  conv('1×1 s2 projection, 12→20 ch, batch 2, per-channel α, scale+bias', 3, {
    ...ternary, alpha: 'channel', input: [2, 12, 9, 9], outChannels: 20, kernel: same(1), stride: same(2), scale: true, bias: true,
  }),
  conv('1×1 s2, 33→9 ch, 10×10, batch 2 (downsample shortcut)', 4, {
    ...ternary, input: [2, 33, 10, 10], outChannels: 9, kernel: same(1), stride: same(2), scale: true,
  }),
  conv('1×1, 8→300 ch, 16×16 (exactly one workgroup of positions)', 5, {
    ...ternary, alpha: 'channel', input: [1, 8, 16, 16], outChannels: 300, kernel: same(1), bias: true,
  }),
  conv('3×3 s1 p1, 3→8 ch, 7×9, per-layer α, bias, relu', 6, {
    ...ternary, input: [1, 3, 7, 9], outChannels: 8, kernel: same(3), padding: same(1), bias: true, activation: 'relu',
  }),
  conv('3×3 s1 p1, 3→17 ch, 11×13, batch 3, per-channel α, bias, relu', 7, {
    ...ternary, alpha: 'channel', input: [3, 3, 11, 13], outChannels: 17, kernel: same(3), padding: same(1), bias: true, activation: 'relu',
  }),
  conv('3×3 s2 p1, 16→20 ch, 9×9, batch 3, residual + relu', 8, {
    ...ternary, alpha: 'channel', input: [3, 16, 9, 9], outChannels: 20, kernel: same(3), stride: same(2), padding: same(1),
    scale: true, bias: true, residual: true, activation: 'relu',
  }),
  conv('3×3 s2 p1, 19→10 ch, 15×15, batch 2, per-layer α, residual + relu', 9, {
    ...ternary, input: [2, 19, 15, 15], outChannels: 10, kernel: same(3), stride: same(2), padding: same(1), scale: true, bias: true,
    residual: true, activation: 'relu',
  }),
  conv('3×3 s1 p1, 6→6 ch, residual without relu', 10, {
    ...ternary, alpha: 'channel', input: [1, 6, 8, 8], outChannels: 6, kernel: same(3), padding: same(1), residual: true,
  }),
  conv('3×3 on a 2×2 image with padding 1, 64→10 ch, batch 4 (late-layer shape), residual + relu', 11, {
    ...ternary, alpha: 'channel', input: [4, 64, 2, 2], outChannels: 10, kernel: same(3), padding: same(1),
    scale: true, bias: true, residual: true, activation: 'relu',
  }),
  conv('3×3 p1, wide K (150·9): many 8-pixel tiles and a leftover pixel, batch 2', 12, {
    ...ternary, alpha: 'channel', input: [2, 150, 7, 7], outChannels: 21, kernel: same(3), padding: same(1), bias: true,
  }),
  conv('3×3 p1, K 70·9: partial last tile, 33 out', 13, { ...ternary, input: [1, 70, 8, 8], outChannels: 33, kernel: same(3), padding: same(1) }),
  conv('3×3 p1, 4→9 ch, 12×12, batch 2, grid folded to ≤ 3 workgroups per dimension', 14, {
    ...ternary, input: [2, 4, 12, 12], outChannels: 9, kernel: same(3), padding: same(1), bias: true, maxWorkgroupsPerDimension: 3,
  }),
  conv('5×5 no pad, 1→9 ch, 14×14', 15, { ...ternary, input: [1, 1, 14, 14], outChannels: 9, kernel: same(5), bias: true }),
  conv('5×5 p2, 1→6 ch, 28×28 (784 positions, several workgroups)', 16, {
    ...ternary, input: [1, 1, 28, 28], outChannels: 6, kernel: same(5), padding: same(2), bias: true,
  }),
  conv('5×5 s2 p2, 6→5 ch, non-square 17×12, batch 2', 17, {
    ...ternary, alpha: 'channel', input: [2, 6, 17, 12], outChannels: 5, kernel: same(5), stride: same(2), padding: same(2),
  }),
  conv('7×7 s2 p3 stem, 3→11 ch, 23×23, batch 2, per-layer α, relu', 18, {
    ...ternary, input: [2, 3, 23, 23], outChannels: 11, kernel: same(7), stride: same(2), padding: same(3), scale: true, bias: true,
    activation: 'relu',
  }),
  conv('7×7 s2 p3, 3→12 ch, 23×23, batch 2 (ImageNet stem), per-channel α, relu', 19, {
    ...ternary, alpha: 'channel', input: [2, 3, 23, 23], outChannels: 12, kernel: same(7), stride: same(2), padding: same(3),
    scale: true, bias: true, activation: 'relu',
  }),
  conv('3×5 kernel, stride [1, 2], padding [1, 2], 4→6 ch', 20, {
    ...ternary, alpha: 'channel', input: [1, 4, 9, 10], outChannels: 6, kernel: [3, 5], stride: [1, 2], padding: [1, 2],
  }),
  conv('3×1 kernel, stride [2, 1], padding [1, 0], 5→7 ch, 11×6, batch 2', 21, {
    ...ternary, input: [2, 5, 11, 6], outChannels: 7, kernel: [3, 1], stride: [2, 1], padding: [1, 0], bias: true,
  }),
  // Stride 1 with output rows of whole 8-lane blocks: the CPU backend reads a padded input in place (no im2col).
  conv('3×3 p1 in place, 16→12 ch, 10×24, batch 2, per-channel α, scale+bias, residual + relu', 71, {
    ...ternary, alpha: 'channel', input: [2, 16, 10, 24], outChannels: 12, kernel: same(3), padding: same(1),
    scale: true, bias: true, residual: true, activation: 'relu',
  }),
  conv('5×5 no pad in place, 2→9 ch, 9×20 (rows of 16), batch 3', 72, {
    ...ternary, input: [3, 2, 9, 20], outChannels: 9, kernel: same(5), bias: true,
  }),
  conv('3×5 kernel p[1, 2] in place, 3→5 ch, 6×8, per-layer α, relu', 73, {
    ...ternary, input: [1, 3, 6, 8], outChannels: 5, kernel: [3, 5], padding: [1, 2], activation: 'relu',
  }),
  // The CPU backend lists each term's byte offset into a chunk of grid channels in 16 bits where they all fit, in 32
  // where the chunk spans more than 64 KiB: here 32 grid channels of 42 × 41 values.
  conv('3×3 p1, 16→12 ch, 40×40: offsets past 64 KiB, per-channel α, bias, relu', 137, {
    ...ternary, alpha: 'channel', input: [1, 16, 40, 40], outChannels: 12, kernel: same(3), padding: same(1), bias: true,
    activation: 'relu',
  }),
  // Blocks of 8 images on the CPU backend run as lanes (one output row of 8 positions × 8 images per task); the
  // images after the last whole block, and smaller batches, run image by image.
  conv('5×5 no pad, 6→10 ch, 12×12, batch 8: images as lanes (LeNet-5 conv2 shape), per-channel α, relu', 131, {
    ...ternary, alpha: 'channel', input: [8, 6, 12, 12], outChannels: 10, kernel: same(5), bias: true,
    activation: 'relu',
  }),
  conv('5×5 no pad, 5→7 ch (a lone last channel), 12×12, batch 16: two blocks of images as lanes', 132, {
    ...ternary, input: [16, 5, 12, 12], outChannels: 7, kernel: same(5), scale: true, bias: true,
  }),
  conv('5×5 no pad, 4→6 ch, 12×12, batch 11: a block of images as lanes, then three image by image', 136, {
    ...ternary, alpha: 'channel', input: [11, 4, 12, 12], outChannels: 6, kernel: same(5), bias: true,
  }),
  conv('5×5 no pad, 1→6 ch, 16×16, batch 8: images as lanes, a lone input channel', 134, {
    ...ternary, input: [8, 1, 16, 16], outChannels: 6, kernel: same(5), bias: true, activation: 'relu',
  }),
  conv('5×5 no pad, 6→10 ch, 12×12, batch 3 (image by image), per-channel α, relu', 133, {
    ...ternary, alpha: 'channel', input: [3, 6, 12, 12], outChannels: 10, kernel: same(5), bias: true,
    activation: 'relu',
  }),
  // WebGPU tiles (src/backends/webgpu/kernels/linear.ts): 64 channels × 64 positions, 16 × 64 for few channels;
  // edges where channels, positions and K are not whole tiles, 7×7 and 1×1 maps, stride 2, batch > 1.
  conv('3×3 p1, 20→70 ch, 7×7, batch 3 (tile edges: 64 + 6 channels, 147 positions)', 74, {
    ...ternary, alpha: 'channel', input: [3, 20, 7, 7], outChannels: 70, kernel: same(3), padding: same(1), bias: true,
    activation: 'relu',
  }),
  conv('1×1, 40→72 ch, 1×1 map, batch 5 (fewer positions than one vector lane group)', 75, {
    ...ternary, input: [5, 40, 1, 1], outChannels: 72, kernel: same(1), scale: true, bias: true,
  }),
  conv('3×3 s2 p1, 24→65 ch, 14×14 → 7×7, batch 2, residual + relu (K = 216: 13½ packed words)', 76, {
    ...ternary, input: [2, 24, 14, 14], outChannels: 65, kernel: same(3), stride: same(2), padding: same(1),
    residual: true, activation: 'relu',
  }),
  conv('float 3×3 p1, 3→66 ch, 9×9 (float, wide tile, one partial block of K)', 77, {
    weight: 'f32', input: [1, 3, 9, 9], outChannels: 66, kernel: same(3), padding: same(1), bias: true,
  }),
  // conv2d, float weights (full-precision first/last layers).
  conv('float 3×3 p1, 3→13 ch, 10×10, batch 2, scale+bias, relu', 22, {
    weight: 'f32', input: [2, 3, 10, 10], outChannels: 13, kernel: same(3), padding: same(1), scale: true, bias: true, activation: 'relu',
  }),
  conv('float 3×3 p1, 5→7 ch, 6×11, batch 2, bias, relu', 23, {
    weight: 'f32', input: [2, 5, 6, 11], outChannels: 7, kernel: same(3), padding: same(1), bias: true, activation: 'relu',
  }),
  conv('float 1×1, 9→4 ch, residual', 24, { weight: 'f32', input: [1, 9, 5, 7], outChannels: 4, kernel: same(1), residual: true }),
  conv('float 5×5 s2, 2→3 ch, 13×13, residual', 25, {
    weight: 'f32', input: [1, 2, 13, 13], outChannels: 3, kernel: same(5), stride: same(2), residual: true,
  }),
  // dense: batch 1 up to 16 (blocks and lanes), ternary and float.
  dense('K = 37, 10 out, per-layer α, bias', 30, { ...ternary, batch: 1, inFeatures: 37, outFeatures: 10, bias: true }),
  dense('K = 130, 29 out, batch 3, per-channel α, scale+bias, relu', 31, {
    ...ternary, alpha: 'channel', batch: 3, inFeatures: 130, outFeatures: 29, scale: true, bias: true, activation: 'relu',
  }),
  dense('K = 70, 12 out, batch 9 (a block and a lane), residual + relu', 32, {
    ...ternary, batch: 9, inFeatures: 70, outFeatures: 12, residual: true, activation: 'relu',
  }),
  dense('K = 200, 7 out, batch 16, per-channel α', 33, { ...ternary, alpha: 'channel', batch: 16, inFeatures: 200, outFeatures: 7 }),
  dense('K = 512, 300 out, batch 5, per-channel α, scale, bias, residual, relu', 34, {
    ...ternary, alpha: 'channel', batch: 5, inFeatures: 512, outFeatures: 300, scale: true, bias: true, residual: true, activation: 'relu',
  }),
  dense('K = 1000 (not whole words), 70 out, batch 6 (GEMV: 9 row groups, 2 sample groups)', 78, {
    ...ternary, alpha: 'channel', batch: 6, inFeatures: 1000, outFeatures: 70, bias: true, activation: 'relu',
  }),
  dense('float K = 130, 20 out, batch 5 (GEMV, partial last quad)', 79, {
    weight: 'f32', batch: 5, inFeatures: 130, outFeatures: 20, scale: true, bias: true,
  }),
  // Batches 2 and 8: whole passes of DENSE_SAMPLES samples over each weight row, nothing left one by one.
  dense('K = 96, 17 out, batch 2, per-channel α, bias', 80, {
    ...ternary, alpha: 'channel', batch: 2, inFeatures: 96, outFeatures: 17, bias: true,
  }),
  dense('K = 300 (not whole words), 33 out, batch 8, scale, bias, relu', 81, {
    ...ternary, batch: 8, inFeatures: 300, outFeatures: 33, scale: true, bias: true, activation: 'relu',
  }),
  // Batch 50: sample-lane blocks of 24 (float32: two whole, one partial) and 48 (int16: one whole, one partial).
  dense('K = 41, 9 out, batch 50, per-channel α, residual, relu', 84, {
    ...ternary, alpha: 'channel', batch: 50, inFeatures: 41, outFeatures: 9, residual: true, activation: 'relu',
  }),
  dense('K = 64, 11 out, batch 53: blocks of whole 8-sample sub-blocks and a partial one, per-channel α, relu', 135, {
    ...ternary, alpha: 'channel', batch: 53, inFeatures: 64, outFeatures: 11, bias: true, activation: 'relu',
  }),
  dense('float K = 66, 9 out, batch 2, bias', 82, { weight: 'f32', batch: 2, inFeatures: 66, outFeatures: 9, bias: true }),
  dense('float K = 131, 14 out, batch 8, residual', 83, {
    weight: 'f32', batch: 8, inFeatures: 131, outFeatures: 14, residual: true,
  }),
  dense('float K = 33, 10 out, bias', 35, { weight: 'f32', batch: 1, inFeatures: 33, outFeatures: 10, bias: true }),
  dense('float K = 20, 7 out, batch 3, bias', 36, { weight: 'f32', batch: 3, inFeatures: 20, outFeatures: 7, bias: true }),
  dense('float K = 45, 6 out, batch 11, scale, relu', 37, {
    weight: 'f32', batch: 11, inFeatures: 45, outFeatures: 6, scale: true, activation: 'relu',
  }),
  // pools
  plain('maxpool', '2×2/2 on 8×8, batch 2', 40, [[2, 3, 8, 8]], { kernel: same(2) }),
  plain('maxpool', '2×2 s2 on 7×9 (odd sizes floor), batch 2', 41, [[2, 4, 7, 9]], { kernel: same(2), stride: same(2), padding: same(0) }),
  plain('maxpool', '3×3 s2 p1 on 11×9', 42, [[1, 5, 11, 9]], { kernel: same(3), stride: same(2), padding: same(1) }),
  plain('maxpool', '3×3 s2 p1 on 15×15 (ResNet stem)', 43, [[1, 5, 15, 15]], { kernel: same(3), stride: same(2), padding: same(1) }),
  plain('maxpool', '2×3 s1, non-square', 44, [[1, 2, 5, 7]], { kernel: [2, 3], stride: same(1) }),
  plain('avgpool', '2×2/2 on 6×6, batch 2', 45, [[2, 3, 6, 6]], { kernel: same(2) }),
  plain('avgpool', '3×3 s2 p1 on 9×10, padding left out of the count', 46, [[1, 4, 9, 10]], {
    kernel: same(3), stride: same(2), padding: same(1),
  }),
  plain('avgpool', '3×3 s2 p1 on 10×10, batch 2, padding left out of the count', 47, [[2, 3, 10, 10]], {
    kernel: same(3), stride: same(2), padding: same(1),
  }),
  plain('global_avgpool', '7 ch, 5×3, batch 2', 48, [[2, 7, 5, 3]]),
  plain('global_avgpool', '70 ch, 7×7, batch 3', 49, [[3, 70, 7, 7]]),
  plain('global_avgpool', '1×1 image', 50, [[2, 3, 1, 1]]),
  // Big enough that the fast CPU cuts them into several tasks for 2–4 threads (wasm/tasks.ts: ≥ 2^16 floats each).
  plain('maxpool', '2×2/2 on 64 ch 48×48 (several tasks)', 63, [[1, 64, 48, 48]], { kernel: same(2) }),
  plain('global_avgpool', '256 ch, 24×24, batch 2 (several tasks)', 64, [[2, 256, 24, 24]]),
  // elementwise
  plain('relu', '[2, 5, 9, 9]', 51, [[2, 5, 9, 9]]),
  plain('relu', 'over 65535 workgroups (the grid folds into 2D on every device)', 52, [[1, 1, 65536 * 64 + 100]]),
  plain('add', 'no activation, [3, 7, 5, 5]', 53, [[3, 7, 5, 5], [3, 7, 5, 5]], { activation: 'none' }),
  plain('add', 'relu, [1, 6, 3, 3]', 54, [[1, 6, 3, 3], [1, 6, 3, 3]], { activation: 'relu' }),
  plain('add', 'relu, grid folded to ≤ 5 workgroups per dimension', 55, [[1, 9, 11, 11], [1, 9, 11, 11]], { activation: 'relu' }, {
    maxWorkgroupsPerDimension: 5,
  }),
  batchnorm('[N, C, H, W] = [2, 6, 5, 7]', 56, [2, 6, 5, 7]),
  batchnorm('[N, C] = [3, 19] (after dense)', 57, [3, 19]),
  batchnorm('[N, C, H, W] = [2, 64, 32, 33] (several tasks)', 66, [2, 64, 32, 33]),
  plain('normalize', 'rgb [2, 3, 8, 8]', 58, [[2, 3, 8, 8]], { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] }),
  plain('softmax', '[1, 10]', 59, [[1, 10]]),
  plain('softmax', 'batch 3, [3, 10]', 60, [[3, 10]]),
  plain('softmax', '130 rows (more than one workgroup), K = 7', 61, [[130, 7]]),
  plain('softmax', '150 rows of K = 1001 (several tasks)', 65, [[150, 1001]]),
  plain('flatten', '[2, 3, 4, 5] (an alias on WebGPU, a copy on the fast CPU)', 62, [[2, 3, 4, 5]]),
];

/** The convolution cases: every WebGPU convolution variant runs them (test/webgpu/kernel-variants.test.ts). */
export const CONV_CASES: readonly OpCaseSpec[] = OP_CASES.filter((spec) => spec.name.startsWith('conv2d '));
/** The dense cases: every WebGPU GEMV slice count runs them (test/webgpu/kernel-variants.test.ts). */
export const DENSE_CASES: readonly OpCaseSpec[] = OP_CASES.filter((spec) => spec.name.startsWith('dense '));
