import { poolAttrs } from '../../../ops/pool.js';
import type { KernelModule } from '../kernel.js';
import { poolPlan } from './pool.js';

export const maxpoolKernel: KernelModule = {
  op: 'maxpool',
  plan: (context) => poolPlan(context, poolAttrs(context.node), 'max'),
};
