import { rejectAttrs } from './attrs.js';
import type { OpDef } from './op.js';
import { rejectParams } from './params.js';
import { elementCount, inputAt, inputShapeOfRank } from './tensor.js';

/** [N, …] → [N, product of the rest], row-major: the data does not move. */
export const flatten: OpDef = {
  type: 'flatten',
  inputs: ['x'],
  fusedInputs: [],
  storable: true,
  aliasesInput: true,

  normalize(node, tensors, where) {
    rejectAttrs(node, where);
    rejectParams(node, tensors, where);
    return {};
  },

  inferShapes([x], _node, _graph, where) {
    const [batch, ...rest] = inputShapeOfRank(x, [2, 3, 4], 'flatten', where);
    return [[batch!, elementCount(rest)]];
  },

  reference(inputs) {
    const x = inputAt(inputs, 0, 'flatten');
    const [batch, ...rest] = x.shape;
    return [{ shape: [batch!, elementCount(rest)], data: x.data.slice() }];
  },
};
