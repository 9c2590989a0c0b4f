import { expect } from 'vitest';
import type { Graph } from '../../src/graph/ir.js';

/** The logits from a run's outputs: CPU executors return tensors ({ data }), WebGPU returns bare arrays. */
export function singleOutput(graph: Graph, outputs: ReadonlyMap<string, { readonly data: ArrayLike<number> } | ArrayLike<number>>): ArrayLike<number> {
  if (graph.outputs.length !== 1) throw new Error(`expected one graph output (the logits), got ${graph.outputs.length}`);
  const output = outputs.get(graph.outputs[0]!);
  if (output === undefined) throw new Error(`the run returned no "${graph.outputs[0]}"`);
  return 'data' in output ? output.data : output;
}

/** Row-wise argmax of `batch` rows of logits laid out back to back (ties go to the first class, as numpy's argmax). */
export function argmaxPerRow(logits: ArrayLike<number>, batch: number): number[] {
  const classes = logits.length / batch;
  return Array.from({ length: batch }, (_, row) => {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits[row * classes + k]! > logits[row * classes + best]!) best = k;
    return best;
  });
}

export interface LogitComparison {
  readonly maxAbsError: number;
  /** max(1, max|reference|): one scale for the whole batch, since float32 error grows with the largest logits. */
  readonly scale: number;
  /** maxAbsError / scale, the figure the tolerance bounds. */
  readonly relativeError: number;
}

/**
 * Asserts max|ours − reference| ≤ tolerance·max(1, max|reference|) over all rows and the same argmax per row, and
 * returns the observed error so the caller can report it.
 */
export function expectLogitsMatch(
  ours: ArrayLike<number>,
  reference: readonly (readonly number[])[],
  tolerance: number,
  what: string,
): LogitComparison {
  const expected = reference.flat();
  expect(ours.length, `${what}: logit count`).toBe(expected.length);
  let scale = 1;
  let maxAbsError = 0;
  let worstAt = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const error = Math.abs(ours[i]! - expected[i]!);
    // `!(error <= max)` also catches NaN.
    if (!(error <= maxAbsError)) {
      maxAbsError = error;
      worstAt = i;
    }
  }
  const relativeError = maxAbsError / scale;
  if (!(relativeError <= tolerance)) {
    expect.fail(
      `${what}: logit ${worstAt} is ${ours[worstAt]}, reference ${expected[worstAt]}; ` +
        `max error ${maxAbsError.toExponential(3)} > ${tolerance}·${scale.toFixed(3)}`,
    );
  }
  expect(argmaxPerRow(ours, reference.length), `${what}: argmax per image`).toEqual(argmaxPerRow(expected, reference.length));
  return { maxAbsError, scale, relativeError };
}

/**
 * The smallest gap between the best and second-best logit over `batch` rows: an image whose gap is below the
 * float32-vs-float64 error could be classified differently by a float32 backend than by the exporter's float64 run.
 */
export function smallestTopTwoMargin(logits: ArrayLike<number>, batch: number): number {
  const classes = logits.length / batch;
  let smallest = Infinity;
  for (let row = 0; row < batch; row++) {
    let best = -Infinity;
    let second = -Infinity;
    for (let k = 0; k < classes; k++) {
      const value = logits[row * classes + k]!;
      if (value > best) [best, second] = [value, best];
      else if (value > second) second = value;
    }
    smallest = Math.min(smallest, best - second);
  }
  return smallest;
}
