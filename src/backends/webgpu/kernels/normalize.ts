import { normalizeAttrs } from '../../../ops/normalize.js';
import type { KernelModule } from '../kernel.js';
import { channelAffinePlan } from './elementwise.js';

/** (x − mean)/std as x·(1/std) + (−mean/std). */
export const normalizeKernel: KernelModule = {
  op: 'normalize',
  plan(context) {
    const { mean, std } = normalizeAttrs(context.node);
    return channelAffinePlan(context, std.map((s) => 1 / s), mean.map((m, c) => -m / std[c]!));
  },
};
