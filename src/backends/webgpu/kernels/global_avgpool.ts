import { chw, type KernelModule } from '../kernel.js';
import { poolPlan } from './pool.js';

export const globalAvgpoolKernel: KernelModule = {
  op: 'global_avgpool',
  plan(context) {
    const [, height, width] = chw(context.inputShapes[0]!);
    return poolPlan(context, { kernel: [height, width], stride: [1, 1], padding: [0, 0] }, 'mean');
  },
};
