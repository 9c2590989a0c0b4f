import { poolAttrs } from '../../../ops/pool.js';
import type { KernelModule } from '../kernel.js';
import { poolPlan } from './pool.js';

export const avgpoolKernel: KernelModule = {
  op: 'avgpool',
  plan: (context) => poolPlan(context, poolAttrs(context.node), 'mean'),
};
