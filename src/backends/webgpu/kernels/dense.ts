import { denseAttrs } from '../../../ops/dense.js';
import type { KernelModule } from '../kernel.js';
import { linearPlan } from './linear.js';

/** A dense layer is a 1×1 convolution of a 1×1 image with K channels: x[n, k] sits where x[n, k, 0, 0] would. */
export const denseKernel: KernelModule = {
  op: 'dense',
  plan(context) {
    const features = context.inputShapes[0]![1]!;
    return linearPlan(context, {
      channels: features,
      height: 1,
      width: 1,
      outHeight: 1,
      outWidth: 1,
      kernel: [1, 1],
      stride: [1, 1],
      padding: [0, 0],
      activation: denseAttrs(context.node).activation,
    }, true);
  },
};
