import type { Graph } from '../ir.js';
import { activationOf, fuseProducers, isPlainLinear } from './fuse.js';

/**
 * `add(a, b)` where `a` (or `b`) comes from a conv2d/dense with no activation, and the add is its only consumer:
 * the layer takes the other operand as its `residual` input and the add's activation,
 * `y = act(scale·alpha·acc + bias + residual)`, saving a pass over memory per residual block.
 */
export function fuseResidualAdd(graph: Graph): Graph {
  return fuseProducers(graph, (layer, consumer, value) => {
    if (consumer.op !== 'add' || !isPlainLinear(layer)) return undefined;
    const [a, b] = consumer.inputs;
    const residual = a === value ? b : a;
    if (residual === undefined) return undefined;
    return {
      node: {
        ...layer,
        inputs: [...layer.inputs, residual],
        outputs: consumer.outputs,
        attrs: { ...layer.attrs, activation: activationOf(consumer) },
      },
    };
  });
}
