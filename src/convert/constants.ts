/**
 * Arithmetic on constant tensors, so that a weight given through a short chain of initializers (Identity, a Mul by
 * a scalar, a Transpose, a Reshape) reaches the converter as one tensor; and the per-channel reading of a constant
 * that is broadcast against an activation (normalisation, bias, scale).
 */
import type { OnnxTensor } from './onnx.js';

/** Thrown for a shape problem; the caller names the node. */
export class ConstantShapeError extends Error {}

const FLOAT = 1;

export function constantTensor(dims: readonly number[], data: Float64Array, dataType = FLOAT): OnnxTensor {
  return { dims, data, dataType };
}

export type Elementwise = 'Add' | 'Sub' | 'Mul' | 'Div';

const APPLY: Readonly<Record<Elementwise, (a: number, b: number) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

/** `a op b` with NumPy-style broadcasting. Float results are rounded to float32, as ONNX Runtime computes them. */
export function foldElementwise(op: Elementwise, a: OnnxTensor, b: OnnxTensor): OnnxTensor {
  const rank = Math.max(a.dims.length, b.dims.length);
  const padded = (dims: readonly number[]) => [...new Array<number>(rank - dims.length).fill(1), ...dims];
  const da = padded(a.dims);
  const db = padded(b.dims);
  const dims = da.map((size, axis) => {
    const other = db[axis]!;
    if (size !== other && size !== 1 && other !== 1) {
      throw new ConstantShapeError(`cannot broadcast [${a.dims.join(', ')}] with [${b.dims.join(', ')}]`);
    }
    return size === 1 ? other : size;
  });
  const count = dims.reduce((x, y) => x * y, 1);
  const data = new Float64Array(count);
  const index = new Array<number>(rank).fill(0);
  const offset = (tensorDims: number[]) =>
    index.reduce((sum, i, axis) => sum * tensorDims[axis]! + (tensorDims[axis] === 1 ? 0 : i), 0);
  const isFloat = a.dataType === FLOAT || b.dataType === FLOAT;
  for (let flat = 0; flat < count; flat++) {
    let rest = flat;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis] = rest % dims[axis]!;
      rest = Math.floor(rest / dims[axis]!);
    }
    const value = APPLY[op](a.data[offset(da)]!, b.data[offset(db)]!);
    data[flat] = isFloat ? Math.fround(value) : op === 'Div' ? Math.trunc(value) : value;
  }
  return constantTensor(dims, data, isFloat ? FLOAT : a.dataType);
}

/** ONNX Reshape: a 0 copies the input's size on that axis, one −1 takes what is left. */
export function reshapeDims(input: readonly number[], target: readonly number[]): number[] {
  const count = input.reduce((x, y) => x * y, 1);
  const dims = target.map((size, axis) => (size === 0 ? input[axis]! : size));
  const known = dims.filter((size) => size !== -1).reduce((x, y) => x * y, 1);
  const inferred = dims.filter((size) => size === -1).length;
  if (
    inferred > 1 ||
    dims.some((size) => size < -1) ||
    (inferred === 0 ? known !== count : known === 0 || count % known !== 0)
  ) {
    throw new ConstantShapeError(`cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`);
  }
  return dims.map((size) => (size === -1 ? count / known : size));
}

/** ONNX Transpose of a constant; `perm` defaults to reversing the axes. */
export function transpose(tensor: OnnxTensor, perm?: readonly number[]): OnnxTensor {
  const rank = tensor.dims.length;
  const order = perm ?? tensor.dims.map((_, axis) => rank - 1 - axis);
  if (order.length !== rank || [...order].sort((x, y) => x - y).some((axis, i) => axis !== i)) {
    throw new ConstantShapeError(`perm [${order.join(', ')}] does not fit rank ${rank}`);
  }
  const dims = order.map((axis) => tensor.dims[axis]!);
  const strides = tensor.dims.map((_, axis) => tensor.dims.slice(axis + 1).reduce((x, y) => x * y, 1));
  const data = new Float64Array(tensor.data.length);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let rest = flat;
    let source = 0;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis] = rest % dims[axis]!;
      rest = Math.floor(rest / dims[axis]!);
      source += index[axis]! * strides[order[axis]!]!;
    }
    data[flat] = tensor.data[source]!;
  }
  return constantTensor(dims, data, tensor.dataType);
}

/**
 * The values of `tensor` along the channel axis (axis 1) when it is broadcast against an activation of the given
 * rank with `channels` channels, or undefined when it varies along any other axis (or would grow the activation).
 */
export function perChannel(tensor: OnnxTensor, channels: number, rank: number): Float64Array | undefined {
  const { dims } = tensor;
  if (dims.length > rank) return undefined;
  const channelAxis = 1 - (rank - dims.length);
  if (dims.some((size, axis) => size !== 1 && !(axis === channelAxis && size === channels))) return undefined;
  const varies = channelAxis >= 0 && dims[channelAxis] === channels && channels > 1;
  return Float64Array.from({ length: channels }, (_, c) => tensor.data[varies ? c : 0]!);
}
