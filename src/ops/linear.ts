import { TwnFormatError } from '../errors.js';
import type { Activation, GraphNode, Tensor } from '../graph/ir.js';
import { activate } from './activation.js';
import { expectParam, f32Param, paramPath, resolveParams, type RoleSpec } from './params.js';
import { unpackTernary } from '../format/ternary-pack.js';
import { formatShape, sameShape, shapeMismatch } from './tensor.js';

/**
 * What conv2d and dense share: their params (docs/FORMAT.md §4) and the arithmetic of one output,
 * `act(multiplier[o]·Σ w·x + bias[o] + residual)` with multiplier = alpha·scale.
 */
export const LINEAR_ROLES: RoleSpec = { weight: 'required', alpha: 'optional', scale: 'optional', bias: 'optional' };

/** Checks a conv2d/dense node's params; returns the weight shape [O, …]. */
export function checkLinearParams(
  node: GraphNode,
  tensors: ReadonlyMap<string, Tensor>,
  where: string,
  weightRank: number,
): readonly number[] {
  const params = resolveParams(node, tensors, where, LINEAR_ROLES);
  const weight = params.get('weight')!;
  expectParam(weight, where, 'weight', { dtypes: ['ternary2', 'f32'], rank: weightRank });
  const outChannels = weight.shape[0]!;
  const alpha = params.get('alpha');
  if (weight.dtype === 'ternary2') {
    if (alpha === undefined) {
      throw new TwnFormatError('BAD_PARAM', `a ternary2 weight needs param "alpha"`, { path: paramPath(where, 'alpha') });
    }
    expectParam(alpha, where, 'alpha', { dtypes: ['f32'], rank: 1 });
    if (alpha.shape[0] !== 1 && alpha.shape[0] !== outChannels) {
      throw new TwnFormatError('BAD_PARAM', `param "alpha" must have shape [1] or [${outChannels}], got [${alpha.shape.join(', ')}]`, {
        path: paramPath(where, 'alpha'),
      });
    }
  } else if (alpha !== undefined) {
    throw new TwnFormatError('BAD_PARAM', `param "alpha" is only for ternary2 weights, this one is f32`, {
      path: paramPath(where, 'alpha'),
    });
  }
  for (const role of ['scale', 'bias']) {
    const tensor = params.get(role);
    if (tensor !== undefined) expectParam(tensor, where, role, { dtypes: ['f32'], shape: [outChannels] });
  }
  return weight.shape;
}

export interface LinearLayer {
  readonly outChannels: number;
  /** K: weights per output channel, `C·kh·kw` for conv2d. */
  readonly rowLength: number;
  /** Σₖ w[o,k]·patch[k] in float64, before the multiplier. Ternary rows only add and subtract. */
  accumulate(o: number, patch: ArrayLike<number>): number;
  /** `act(multiplier[o]·sum + bias[o] + residual)`, the only multiply by the effective scale. */
  finish(o: number, sum: number, residual: number, activation: Activation): number;
}

export function loadLinearLayer(node: GraphNode, tensors: ReadonlyMap<string, Tensor>): LinearLayer {
  const weight = tensors.get(node.params.weight ?? '');
  if (weight === undefined) throw new TwnFormatError('BAD_PARAM', `node "${node.name}" has no weight tensor`);
  const [outChannels = 0, ...rest] = weight.shape;
  const rowLength = rest.reduce((product, extent) => product * extent, 1);

  const alpha = f32Param(node, tensors, 'alpha');
  const scale = f32Param(node, tensors, 'scale');
  const bias = f32Param(node, tensors, 'bias');
  const multiplier = new Float64Array(outChannels);
  const offset = new Float64Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const channelAlpha = alpha === undefined ? 1 : alpha.length === 1 ? alpha[0]! : alpha[o]!;
    multiplier[o] = channelAlpha * (scale?.[o] ?? 1);
    offset[o] = bias?.[o] ?? 0;
  }

  const finish = (o: number, sum: number, residual: number, activation: Activation): number =>
    activate(multiplier[o]! * sum + offset[o]! + residual, activation);

  const accumulate = weight.dtype === 'ternary2' ? ternaryRows(weight, rowLength) : floatRows(weight, rowLength);
  return { outChannels, rowLength, finish, accumulate };
}

function ternaryRows(weight: Tensor, rowLength: number): LinearLayer['accumulate'] {
  const signs = unpackTernary(weight.data as Uint32Array, weight.shape);
  return (o, patch) => {
    let sum = 0;
    const row = o * rowLength;
    for (let k = 0; k < rowLength; k++) {
      const sign = signs[row + k];
      if (sign === 1) sum += patch[k]!;
      else if (sign === -1) sum -= patch[k]!;
    }
    return sum;
  };
}

function floatRows(weight: Tensor, rowLength: number): LinearLayer['accumulate'] {
  const values = weight.data as Float32Array;
  return (o, patch) => {
    let sum = 0;
    const row = o * rowLength;
    for (let k = 0; k < rowLength; k++) sum += values[row + k]! * patch[k]!;
    return sum;
  };
}

export function linearWeightShape(node: GraphNode, tensors: ReadonlyMap<string, Tensor>): readonly number[] {
  const weight = tensors.get(node.params.weight ?? '');
  if (weight === undefined) throw new TwnFormatError('BAD_PARAM', `node "${node.name}" has no weight tensor`);
  return weight.shape;
}

/** The fused `residual` input is added before the activation, so it must have the output's shape exactly. */
export function checkResidualShape(residual: readonly number[] | undefined, output: readonly number[], op: string, where: string): void {
  if (residual !== undefined && !sameShape(residual, output)) {
    throw shapeMismatch(`${op} residual ${formatShape(residual)} differs from its output ${formatShape(output)}`, where);
  }
}
