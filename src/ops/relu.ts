import { relu as reluOf } from './activation.js';
import { rejectAttrs } from './attrs.js';
import type { OpDef } from './op.js';
import { rejectParams } from './params.js';
import { inputAt, inputShapeOfRank } from './tensor.js';

/** `max(x, 0)` elementwise, any rank. */
export const relu: OpDef = {
  type: 'relu',
  inputs: ['x'],
  fusedInputs: [],
  storable: true,

  normalize(node, tensors, where) {
    rejectAttrs(node, where);
    rejectParams(node, tensors, where);
    return {};
  },

  inferShapes([x], _node, _graph, where) {
    return [[...inputShapeOfRank(x, [1, 2, 3, 4], 'relu', where)]];
  },

  reference(inputs) {
    const x = inputAt(inputs, 0, 'relu');
    return [{ shape: [...x.shape], data: x.data.map(reluOf) }];
  },
};
