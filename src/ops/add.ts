import type { Activation, GraphNode } from '../graph/ir.js';
import { activate } from './activation.js';
import { AttrReader } from './attrs.js';
import { describeNode, type OpDef } from './op.js';
import { rejectParams } from './params.js';
import { formatShape, inputAt, sameShape, shapeMismatch } from './tensor.js';

export interface AddAttrs {
  readonly activation: Activation;
}

export function addAttrs(node: GraphNode, where = describeNode(node)): AddAttrs {
  return { activation: new AttrReader(node, `${where}.attrs`, ['activation']).activation() };
}

/** `act(a + b)` elementwise; a and b have the same shape (residual connections, no broadcasting). */
export const add: OpDef = {
  type: 'add',
  inputs: ['a', 'b'],
  fusedInputs: [],
  storable: true,

  normalize(node, tensors, where) {
    const attrs = addAttrs(node, where);
    rejectParams(node, tensors, where);
    return { activation: attrs.activation };
  },

  inferShapes([a, b], _node, _graph, where) {
    if (a === undefined || b === undefined || !sameShape(a, b)) {
      throw shapeMismatch(`add operands differ: ${formatShape(a ?? [])} and ${formatShape(b ?? [])}`, where);
    }
    return [[...a]];
  },

  reference(inputs, node) {
    const a = inputAt(inputs, 0, 'add');
    const b = inputAt(inputs, 1, 'add');
    const { activation } = addAttrs(node);
    return [{ shape: [...a.shape], data: a.data.map((value, i) => activate(value + b.data[i]!, activation)) }];
  },
};
