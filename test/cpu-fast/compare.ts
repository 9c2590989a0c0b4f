import { expect } from 'vitest';

/** max|actual − expected| ≤ relativeTolerance·max(1, max|expected|): one scale for a whole tensor, as float32 errors are. */
export function expectCloseToReference(actual: ArrayLike<number>, expected: ArrayLike<number>, relativeTolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    if (!(error <= worst)) {
      worst = error;
      worstAt = i;
    }
  }
  if (!(worst <= relativeTolerance * scale)) {
    expect.fail(`element ${worstAt}: got ${actual[worstAt]}, expected ${expected[worstAt]}; error ${worst} > ${relativeTolerance}·${scale}`);
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
