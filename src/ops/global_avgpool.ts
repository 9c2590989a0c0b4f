import { rejectAttrs } from './attrs.js';
import type { OpDef } from './op.js';
import { rejectParams } from './params.js';
import { inputAt, inputShapeOfRank, zerosLike } from './tensor.js';

/** [N,C,H,W] → [N,C,1,1], the mean over H×W. */
export const globalAvgpool: OpDef = {
  type: 'global_avgpool',
  inputs: ['x'],
  fusedInputs: [],
  storable: true,

  normalize(node, tensors, where) {
    rejectAttrs(node, where);
    rejectParams(node, tensors, where);
    return {};
  },

  inferShapes([x], _node, _graph, where) {
    const [batch, channels] = inputShapeOfRank(x, [4], 'global_avgpool', where);
    return [[batch!, channels!, 1, 1]];
  },

  reference(inputs) {
    const x = inputAt(inputs, 0, 'global_avgpool');
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const planeSize = height * width;
    const y = zerosLike([batch, channels, 1, 1]);
    for (let plane = 0; plane < batch * channels; plane++) {
      let sum = 0;
      for (let i = plane * planeSize; i < (plane + 1) * planeSize; i++) sum += x.data[i]!;
      y.data[plane] = sum / planeSize;
    }
    return [y];
  },
};
