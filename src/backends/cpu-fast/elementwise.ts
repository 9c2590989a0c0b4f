import { addAttrs } from '../../ops/add.js';
import { batchnormStats } from '../../ops/batchnorm.js';
import { normalizeAttrs } from '../../ops/normalize.js';
import { elementCount } from '../../ops/tensor.js';
import type { Graph, GraphNode } from '../../graph/ir.js';
import { shapeOf, type CompiledNode, type FastOp } from './kernel.js';

/**
 * The elementwise ops in JavaScript, where WebAssembly SIMD is missing (wasm/elementwise.ts runs them otherwise).
 * y = x·factor[c] + offset[c] over [N, C, …]: normalize and an unfused batchnorm are both this affine map.
 */
function channelAffine({ factor, offset }: ChannelAffine): CompiledNode {
  return (step) => {
    const [batch = 1, channels = 1, ...rest] = shapeOf(step.inputShapes, 0);
    const planeSize = elementCount(rest);
    return {
      scratchSize: 0,
      run({ inputs, output }) {
        const input = inputs[0]!;
        for (let plane = 0; plane < batch * channels; plane++) {
          const f = factor[plane % channels]!;
          const b = offset[plane % channels]!;
          for (let i = plane * planeSize; i < (plane + 1) * planeSize; i++) output[i] = input[i]! * f + b;
        }
      },
    };
  };
}

/** Per channel, the factor and offset of an affine map y = x·factor + offset (float64, as the kernels use them). */
export interface ChannelAffine {
  readonly factor: Float64Array;
  readonly offset: Float64Array;
}

/** (x − mean)/std as x·(1/std) − mean/std. */
export function normalizeAffine(node: GraphNode): ChannelAffine {
  const { mean, std } = normalizeAttrs(node);
  return { factor: Float64Array.from(std, (s) => 1 / s), offset: Float64Array.from(mean, (m, c) => -m / std[c]!) };
}

/** Inference batchnorm as γ/√(var + ε) and β − mean·γ/√(var + ε), computed once. */
export function batchnormAffine(node: GraphNode, graph: Graph): ChannelAffine {
  const { gamma, beta, mean, variance, epsilon } = batchnormStats(node, graph.tensors);
  const factor = Float64Array.from(gamma, (g, c) => g / Math.sqrt(variance[c]! + epsilon));
  return { factor, offset: Float64Array.from(beta, (b, c) => b - mean[c]! * factor[c]!) };
}

export const fastNormalize: FastOp = (node) => channelAffine(normalizeAffine(node));
export const fastBatchnorm: FastOp = (node, graph) => channelAffine(batchnormAffine(node, graph));

export const fastRelu: FastOp = () => () => ({
  scratchSize: 0,
  run({ inputs, output }) {
    const input = inputs[0]!;
    for (let i = 0; i < output.length; i++) {
      const value = input[i]!;
      output[i] = value > 0 ? value : 0;
    }
  },
});

export const fastAdd: FastOp = (node) => {
  const relu = addAttrs(node).activation === 'relu';
  return () => ({
    scratchSize: 0,
    run({ inputs, output }) {
      const a = inputs[0]!;
      const b = inputs[1]!;
      for (let i = 0; i < output.length; i++) {
        const sum = a[i]! + b[i]!;
        output[i] = relu && sum < 0 ? 0 : sum;
      }
    },
  });
};

/** The planner gives flatten's output its input's slot, so there is nothing to move unless a plan says otherwise. */
export const fastFlatten: FastOp = () => () => ({
  scratchSize: 0,
  run({ inputs, output }) {
    const input = inputs[0]!;
    if (input.buffer !== output.buffer || input.byteOffset !== output.byteOffset) output.set(input);
  },
});

/** Along K of [N, K], as exp(x − max)/Σ. */
export const fastSoftmax: FastOp = () => (step) => {
  const [batch, classes] = shapeOf(step.inputShapes, 0) as [number, number];
  return {
    scratchSize: 0,
    run({ inputs, output }) {
      const input = inputs[0]!;
      for (let start = 0; start < batch * classes; start += classes) {
        let max = -Infinity;
        for (let i = start; i < start + classes; i++) max = Math.max(max, input[i]!);
        let total = 0;
        for (let i = start; i < start + classes; i++) total += Math.exp(input[i]! - max);
        for (let i = start; i < start + classes; i++) output[i] = Math.exp(input[i]! - max) / total;
      }
    },
  };
};
