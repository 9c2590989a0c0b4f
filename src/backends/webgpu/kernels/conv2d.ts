import { conv2dAttrs } from '../../../ops/conv2d.js';
import { chw, type KernelModule } from '../kernel.js';
import { linearPlan } from './linear.js';

export const conv2dKernel: KernelModule = {
  op: 'conv2d',
  plan(context) {
    const attrs = conv2dAttrs(context.node);
    const [channels, height, width] = chw(context.inputShapes[0]!);
    const [, outHeight, outWidth] = chw(context.outputShape);
    return linearPlan(context, { channels, height, width, outHeight, outWidth, ...attrs });
  },
};
