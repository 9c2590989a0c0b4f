import type { Activation, GraphNode } from '../graph/ir.js';
import { AttrReader } from './attrs.js';
import { checkLinearParams, checkResidualShape, linearWeightShape, loadLinearLayer } from './linear.js';
import { describeNode, type OpDef } from './op.js';
import { formatShape, inputAt, inputShapeOfRank, shapeMismatch, zerosLike } from './tensor.js';

export interface DenseAttrs {
  readonly activation: Activation;
}

export function denseAttrs(node: GraphNode, where = describeNode(node)): DenseAttrs {
  return { activation: new AttrReader(node, `${where}.attrs`, ['activation']).activation() };
}

/** `y[n,o] = act(alpha[o]·scale[o]·Σₖ w[o,k]·x[n,k] + bias[o] + residual[n,o])`. */
export const dense: OpDef = {
  type: 'dense',
  inputs: ['x'],
  fusedInputs: ['residual'],
  storable: true,

  normalize(node, tensors, where) {
    const attrs = denseAttrs(node, where);
    checkLinearParams(node, tensors, where, 2);
    return { activation: attrs.activation };
  },

  inferShapes([x, residual], node, graph, where) {
    const input = inputShapeOfRank(x, [2], 'dense', where);
    const [outFeatures = 0, inFeatures] = linearWeightShape(node, graph.tensors);
    if (input[1] !== inFeatures) {
      throw shapeMismatch(`dense weight takes ${inFeatures} features, input ${formatShape(input)} has ${input[1]}`, where);
    }
    const output = [input[0]!, outFeatures];
    checkResidualShape(residual, output, 'dense', where);
    return [output];
  },

  reference(inputs, node, graph) {
    const x = inputAt(inputs, 0, 'dense');
    const residual = inputs[1];
    const { activation } = denseAttrs(node);
    const layer = loadLinearLayer(node, graph.tensors);
    const [batch, features] = x.shape as [number, number];
    const outFeatures = layer.outChannels;
    const y = zerosLike([batch, outFeatures]);
    for (let n = 0; n < batch; n++) {
      const row = x.data.subarray(n * features, (n + 1) * features);
      for (let o = 0; o < outFeatures; o++) {
        const index = n * outFeatures + o;
        y.data[index] = layer.finish(o, layer.accumulate(o, row), residual?.data[index] ?? 0, activation);
      }
    }
    return [y];
  },
};
