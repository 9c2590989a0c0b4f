import { rejectAttrs } from './attrs.js';
import type { OpDef } from './op.js';
import { rejectParams } from './params.js';
import { inputAt, inputShapeOfRank, zerosLike } from './tensor.js';

/** Along K of [N, K], as `exp(x − max)/Σ` so large logits cannot overflow. */
export const softmax: OpDef = {
  type: 'softmax',
  inputs: ['x'],
  fusedInputs: [],
  storable: true,

  normalize(node, tensors, where) {
    rejectAttrs(node, where);
    rejectParams(node, tensors, where);
    return {};
  },

  inferShapes([x], _node, _graph, where) {
    return [[...inputShapeOfRank(x, [2], 'softmax', where)]];
  },

  reference(inputs) {
    const x = inputAt(inputs, 0, 'softmax');
    const [batch, classes] = x.shape as [number, number];
    const y = zerosLike(x.shape);
    for (let n = 0; n < batch; n++) {
      const row = x.data.subarray(n * classes, (n + 1) * classes);
      const max = Math.max(...row);
      const exps = row.map((value) => Math.exp(value - max));
      const total = exps.reduce((sum, value) => sum + value, 0);
      y.data.set(exps.map((value) => value / total), n * classes);
    }
    return [y];
  },
};
