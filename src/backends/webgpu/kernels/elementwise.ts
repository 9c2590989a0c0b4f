import type { Activation } from '../../../graph/ir.js';
import { ceilDiv, chw, INVOCATIONS_PER_WORKGROUP, product, type Binding, type DispatchPlan, type KernelContext } from '../kernel.js';
import { elementwiseShader } from '../shaders.js';

function elementwisePlan(
  context: KernelContext,
  entryPoint: 'relu' | 'add' | 'channel_affine',
  bindings: readonly Binding[],
  constants: Readonly<Record<string, number>>,
): DispatchPlan {
  const outputSize = product(context.outputShape);
  return {
    kind: 'dispatch',
    shader: elementwiseShader(entryPoint),
    constants,
    bindings,
    workgroups: (batch) => ceilDiv(batch * outputSize, INVOCATIONS_PER_WORKGROUP),
  };
}

export function reluPlan(context: KernelContext): DispatchPlan {
  return elementwisePlan(context, 'relu', [{ kind: 'input', index: 0 }], {});
}

export function addPlan(context: KernelContext, activation: Activation): DispatchPlan {
  return elementwisePlan(context, 'add', [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }], {
    RELU: activation === 'relu' ? 1 : 0,
  });
}

/** y = x·scale[c] + shift[c] per channel, on [N, C] or [N, C, H, W]: batchnorm and input normalisation. */
export function channelAffinePlan(context: KernelContext, scale: ArrayLike<number>, shift: ArrayLike<number>): DispatchPlan {
  const [channels, height, width] = chw(context.inputShapes[0]!);
  const affine = new Float32Array(2 * channels);
  affine.set(scale, 0);
  affine.set(shift, channels);
  return elementwisePlan(context, 'channel_affine', [{ kind: 'input', index: 0 }, { kind: 'param', role: 'affine', data: affine }], {
    PLANE: height * width,
    CHANNELS: channels,
  });
}
