/**
 * How a backend's output is held against the float64 reference: max|got − ref| ≤ tolerance·max(1, max|ref|), one
 * scale for a whole tensor, as float32 errors are. Plain functions (no test framework), so the browser harness can use
 * them too.
 */
import type { RefTensor } from '../../src/ops/op.js';
import { getOp } from '../../src/ops/registry.js';
import type { OpCase } from './cases.js';

/** The bound for single-op cases. */
export const OP_RELATIVE_TOLERANCE = 1e-4;

export interface Comparison {
  readonly pass: boolean;
  /** max|got − ref|; Infinity where the lengths differ or an element is NaN. */
  readonly maxError: number;
  /** relativeTolerance·max(1, max|ref|) */
  readonly tolerance: number;
  /** The worst element, or the length mismatch, in one line. */
  readonly message: string;
}

export interface CaseResult extends Comparison {
  readonly name: string;
}

export function compareToReference(actual: ArrayLike<number>, expected: ArrayLike<number>, relativeTolerance: number): Comparison {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  const tolerance = relativeTolerance * scale;
  if (actual.length !== expected.length) {
    return { pass: false, maxError: Infinity, tolerance, message: `length ${actual.length} ≠ reference length ${expected.length}` };
  }
  let maxError = 0;
  let worstAt = 0;
  for (let i = 0; i < expected.length; i++) {
    // A NaN on either side is the worst error there is, and stays the worst.
    const error = Math.abs(actual[i]! - expected[i]!);
    const ranked = Number.isNaN(error) ? Infinity : error;
    if (ranked > maxError) {
      maxError = ranked;
      worstAt = i;
    }
  }
  // `<=` fails a NaN tolerance too (a NaN in the reference).
  const pass = maxError <= tolerance;
  const message = `element ${worstAt}: got ${actual[worstAt]}, expected ${expected[worstAt]}; max error ${maxError} ${pass ? '≤' : '>'} ${tolerance}`;
  return { pass, maxError, tolerance, message };
}

/** The op's float64 reference output for a case. */
export function referenceOutput({ graph, node, inputs }: OpCase): RefTensor {
  const op = getOp(node.op);
  if (op === undefined) throw new Error(`no op ${node.op}`);
  return op.reference(inputs, node, graph)[0]!;
}

/** A backend's output for a case against the reference, at the single-op bound. */
export function checkAgainstReference(opCase: OpCase, actual: ArrayLike<number>): CaseResult {
  return { name: opCase.name, ...compareToReference(actual, referenceOutput(opCase).data, OP_RELATIVE_TOLERANCE) };
}
