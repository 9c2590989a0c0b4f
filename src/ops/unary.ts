import { rejectAttrs } from './attrs.js';
import type { OpDef, RefTensor } from './op.js';
import { rejectParams } from './params.js';
import { inputAt, inputShapeOfRank } from './tensor.js';

/** What differs between ops of one input and neither attributes nor params (relu, softmax, global_avgpool, flatten). */
export interface UnaryOpSpec {
  readonly type: string;
  /** The input ranks accepted. */
  readonly ranks: readonly number[];
  readonly aliasesInput?: boolean;
  /** Output shape (batch included) from the input shape, its rank already checked. */
  outputShape(input: readonly number[]): number[];
  /** Float64 reference. */
  compute(x: RefTensor): RefTensor;
}

/** An OpDef for a storable op of one input `x` that takes no attributes and no params: the frame is the same for all. */
export function unaryOp(spec: UnaryOpSpec): OpDef {
  const { type, ranks, outputShape, compute } = spec;
  return {
    type,
    inputs: ['x'],
    fusedInputs: [],
    storable: true,
    ...(spec.aliasesInput ? { aliasesInput: true } : {}),

    normalize(node, tensors, where) {
      rejectAttrs(node, where);
      rejectParams(node, tensors, where);
      return {};
    },

    inferShapes([x], _node, _graph, where) {
      return [outputShape(inputShapeOfRank(x, ranks, type, where))];
    },

    reference(inputs) {
      return [compute(inputAt(inputs, 0, type))];
    },
  };
}
