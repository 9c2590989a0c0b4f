import { expect } from 'vitest';
import { compareToReference } from '../op-cases/compare.js';

/** max|actual − expected| ≤ relativeTolerance·max(1, max|expected|): one scale for a whole tensor, as float32 errors are. */
export function expectCloseToReference(actual: ArrayLike<number>, expected: ArrayLike<number>, relativeTolerance: number): void {
  const result = compareToReference(actual, expected, relativeTolerance);
  if (!result.pass) expect.fail(result.message);
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
