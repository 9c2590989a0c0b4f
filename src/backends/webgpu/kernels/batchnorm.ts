import { batchnormStats } from '../../../ops/batchnorm.js';
import type { KernelModule } from '../kernel.js';
import { channelAffinePlan } from './elementwise.js';

/** Inference batchnorm as x·s + (β − mean·s), s = γ/√(var + ε), for graphs whose batchnorm was not folded. */
export const batchnormKernel: KernelModule = {
  op: 'batchnorm',
  plan(context) {
    const { gamma, beta, mean, variance, epsilon } = batchnormStats(context.node, context.graph.tensors);
    const scale = Array.from(gamma, (g, c) => g / Math.sqrt(variance[c]! + epsilon));
    const shift = scale.map((s, c) => beta[c]! - mean[c]! * s);
    return channelAffinePlan(context, scale, shift);
  },
};
