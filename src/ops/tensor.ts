import { TwnFormatError } from '../errors.js';
import type { RefTensor } from './op.js';

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, extent) => product * extent, 1);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, axis) => extent === b[axis]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function zerosLike(shape: readonly number[]): RefTensor {
  return { shape: [...shape], data: new Float64Array(elementCount(shape)) };
}

export function shapeMismatch(message: string, where: string): TwnFormatError {
  return new TwnFormatError('SHAPE_MISMATCH', message, { path: where });
}

/** The one input shape of a single-input op, checked for rank. */
export function inputShapeOfRank(
  shape: readonly number[] | undefined,
  ranks: readonly number[],
  op: string,
  where: string,
): readonly number[] {
  if (shape === undefined || !ranks.includes(shape.length)) {
    const got = shape === undefined ? 'no input' : `rank ${shape.length} ${formatShape(shape)}`;
    throw shapeMismatch(`${op} needs an input of rank ${ranks.join(' or ')}, got ${got}`, where);
  }
  return shape;
}

/** Offset of the (n, c) plane of an NCHW tensor. */
export function planeOffset(n: number, c: number, channels: number, planeSize: number): number {
  return (n * channels + c) * planeSize;
}

/** Inputs an op's reference was given, by position; a missing one is a bug in the caller, not in the file. */
export function inputAt(inputs: readonly RefTensor[], index: number, op: string): RefTensor {
  const input = inputs[index];
  if (input === undefined) throw new Error(`${op} reference: input ${index} missing`);
  return input;
}
