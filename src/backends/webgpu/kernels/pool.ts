import { ceilDiv, chw, INVOCATIONS_PER_WORKGROUP, product, windowConstants, type DispatchPlan, type KernelContext } from '../kernel.js';
import { POOL_SHADER } from '../shaders.js';

export interface PoolWindow {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
}

/** maxpool, avgpool and global_avgpool (the window covering the whole image): one output value per invocation. */
export function poolPlan(context: KernelContext, window: PoolWindow, reduction: 'max' | 'mean'): DispatchPlan {
  const [, height, width] = chw(context.inputShapes[0]!);
  const [, outHeight, outWidth] = chw(context.outputShape);
  const outputSize = product(context.outputShape);
  return {
    kind: 'dispatch',
    shader: POOL_SHADER,
    constants: {
      ...windowConstants({ height, width, outHeight, outWidth, ...window }),
      IS_MAX: reduction === 'max' ? 1 : 0,
    },
    bindings: [{ kind: 'input', index: 0 }],
    workgroups: (batch) => ceilDiv(batch * outputSize, INVOCATIONS_PER_WORKGROUP),
  };
}
