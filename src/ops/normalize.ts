import type { GraphNode } from '../graph/ir.js';
import { AttrReader } from './attrs.js';
import { describeNode, type OpDef } from './op.js';
import { rejectParams } from './params.js';
import { formatShape, inputAt, inputShapeOfRank, shapeMismatch, zerosLike } from './tensor.js';

export interface NormalizeAttrs {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * normalize's attributes are the input spec's `mean` and `std` (docs/FORMAT.md §3), so their paths name those
 * fields directly (`$.input.std`) rather than an `attrs` object no file has.
 */
export function normalizeAttrs(node: GraphNode, where = describeNode(node)): NormalizeAttrs {
  const reader = new AttrReader(node, where, ['mean', 'std']);
  const channels = Array.isArray(node.attrs.mean) ? node.attrs.mean.length : 0;
  return {
    mean: reader.numberList('mean', channels, { positive: false }),
    std: reader.numberList('std', channels, { positive: true }),
  };
}

/** `x' = (x − mean[c]) / std[c]` on [N,C,H,W]: the graph's first op, built from the input spec. IR only. */
export const normalize: OpDef = {
  type: 'normalize',
  inputs: ['x'],
  fusedInputs: [],
  storable: false,

  normalize(node, tensors, where) {
    const attrs = normalizeAttrs(node, where);
    rejectParams(node, tensors, where);
    return { mean: attrs.mean, std: attrs.std };
  },

  inferShapes([x], node, _graph, where) {
    const input = inputShapeOfRank(x, [4], 'normalize', where);
    const { mean } = normalizeAttrs(node, where);
    if (input[1] !== mean.length) {
      throw shapeMismatch(`normalize has ${mean.length} channels of mean/std, input ${formatShape(input)} has ${input[1]}`, where);
    }
    return [[...input]];
  },

  reference(inputs, node) {
    const x = inputAt(inputs, 0, 'normalize');
    const { mean, std } = normalizeAttrs(node);
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const planeSize = height * width;
    const y = zerosLike(x.shape);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const start = (n * channels + c) * planeSize;
        for (let i = start; i < start + planeSize; i++) y.data[i] = (x.data[i]! - mean[c]!) / std[c]!;
      }
    }
    return [y];
  },
};
