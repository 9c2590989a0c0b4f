import { TwnFormatError } from '../errors.js';
import type { GraphNode, Tensor } from '../graph/ir.js';
import { AttrReader } from './attrs.js';
import { describeNode, type OpDef } from './op.js';
import { expectParam, paramPath, requiredF32Param, resolveParams } from './params.js';
import { elementCount, formatShape, inputAt, inputShapeOfRank, shapeMismatch, zerosLike } from './tensor.js';

export const BATCHNORM_ROLES = { gamma: 'required', beta: 'required', mean: 'required', var: 'required' } as const;

export interface BatchNormAttrs {
  readonly epsilon: number;
}

export function batchnormAttrs(node: GraphNode, where = describeNode(node)): BatchNormAttrs {
  return { epsilon: new AttrReader(node, `${where}.attrs`, ['epsilon']).positiveNumber('epsilon', 1e-5) };
}

/** Per-channel statistics as float64, shared by the reference and the folding pass (docs/FORMAT.md §6). */
export interface BatchNormStats {
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly epsilon: number;
}

export function batchnormStats(node: GraphNode, tensors: ReadonlyMap<string, Tensor>): BatchNormStats {
  return {
    gamma: requiredF32Param(node, tensors, 'gamma'),
    beta: requiredF32Param(node, tensors, 'beta'),
    mean: requiredF32Param(node, tensors, 'mean'),
    variance: requiredF32Param(node, tensors, 'var'),
    epsilon: batchnormAttrs(node).epsilon,
  };
}

/** `(x − mean)/√(var + ε)·γ + β`, inference form, over [N,C] or [N,C,H,W]. */
export const batchnorm: OpDef = {
  type: 'batchnorm',
  inputs: ['x'],
  fusedInputs: [],
  storable: true,

  normalize(node, tensors, where) {
    const attrs = batchnormAttrs(node, where);
    const params = resolveParams(node, tensors, where, BATCHNORM_ROLES);
    const channels = params.get('gamma')!.shape[0]!;
    for (const role of Object.keys(BATCHNORM_ROLES)) {
      expectParam(params.get(role)!, where, role, { dtypes: ['f32'], shape: [channels] });
    }
    if ((params.get('var')!.data as Float32Array).some((v) => v < 0)) {
      throw new TwnFormatError('BAD_PARAM', 'param "var" has a negative variance', { path: paramPath(where, 'var') });
    }
    return { epsilon: attrs.epsilon };
  },

  inferShapes([x], node, graph, where) {
    const input = inputShapeOfRank(x, [2, 4], 'batchnorm', where);
    const channels = graph.tensors.get(node.params.gamma ?? '')?.shape[0];
    if (input[1] !== channels) {
      throw shapeMismatch(`batchnorm has ${channels} channels, input ${formatShape(input)} has ${input[1]}`, where);
    }
    return [[...input]];
  },

  reference(inputs, node, graph) {
    const x = inputAt(inputs, 0, 'batchnorm');
    const { gamma, beta, mean, variance, epsilon } = batchnormStats(node, graph.tensors);
    const [batch, channels] = x.shape as [number, number];
    const planeSize = elementCount(x.shape.slice(2));
    const y = zerosLike(x.shape);
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const deviation = Math.sqrt(variance[c]! + epsilon);
        const start = (n * channels + c) * planeSize;
        for (let i = start; i < start + planeSize; i++) {
          y.data[i] = ((x.data[i]! - mean[c]!) / deviation) * gamma[c]! + beta[c]!;
        }
      }
    }
    return [y];
  },
};
