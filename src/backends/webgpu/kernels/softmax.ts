import { ceilDiv, INVOCATIONS_PER_WORKGROUP, product, type KernelModule } from '../kernel.js';
import { SOFTMAX_SHADER } from '../shaders.js';

export const softmaxKernel: KernelModule = {
  op: 'softmax',
  plan: (context) => ({
    kind: 'dispatch',
    shader: SOFTMAX_SHADER,
    constants: { K: product(context.outputShape.slice(1)) },
    bindings: [{ kind: 'input', index: 0 }],
    workgroups: (batch) => ceilDiv(batch, INVOCATIONS_PER_WORKGROUP),
  }),
};
