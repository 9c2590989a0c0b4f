/**
 * Ternarization of Ternary Weight Networks (Li et al. 2016, arXiv 1605.04711, eq. 9–10 and §3):
 *   Δ = 0.7 · mean|W|,   Wᵗ = +1 if W > Δ, −1 if W < −Δ, else 0,   α = mean of |W| over { |W| > Δ }.
 * Accumulation is float64, so results do not depend on the summation's float32 rounding.
 */

/** 'per-layer': one Δ and α per tensor (the paper's Caffe code); 'per-channel': one per output channel (its PyTorch code). */
export type Granularity = 'per-layer' | 'per-channel';

export interface Ternarized {
  /** −1/0/+1, same layout as the weights. */
  readonly codes: Int8Array;
  /** Length 1 (per layer) or O (per channel): the `alpha` tensor of docs/FORMAT.md §5. */
  readonly alpha: Float32Array;
  /** The thresholds used, same length as alpha. */
  readonly delta: Float64Array;
}

export const DELTA_FACTOR = 0.7;

/**
 * Ternarizes `weights` (row-major over `shape`, first dim = output channel O).
 *
 * A group whose elements are all zero has Δ = 0 and nothing strictly above it; it gets α = 0 and all codes 0, which
 * reproduces it exactly (α·0 = 0) instead of the 0/0 = NaN of the formula, which a file could not hold. No other
 * group can have nothing above Δ: if every |W| ≤ 0.7·mean|W| then mean|W| ≤ 0.7·mean|W|, so mean|W| = 0.
 */
export function ternarize(
  weights: Float32Array | Float64Array | readonly number[],
  shape: readonly number[],
  granularity: Granularity = 'per-layer',
): Ternarized {
  const total = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 1) || weights.length !== total) {
    throw new RangeError(`expected ${total} weights for shape [${shape.join(', ')}], got ${weights.length}`);
  }
  const groups = granularity === 'per-channel' ? shape[0]! : 1;
  const groupSize = total / groups;
  const codes = new Int8Array(total);
  const alpha = new Float32Array(groups);
  const delta = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const start = g * groupSize;
    const end = start + groupSize;
    let sumAbs = 0;
    for (let i = start; i < end; i++) sumAbs += Math.abs(weights[i]!);
    const threshold = DELTA_FACTOR * (sumAbs / groupSize);
    let sumAbove = 0;
    let countAbove = 0;
    for (let i = start; i < end; i++) {
      const w = weights[i]!;
      if (w > threshold) codes[i] = 1;
      else if (w < -threshold) codes[i] = -1;
      else continue;
      sumAbove += Math.abs(w);
      countAbove++;
    }
    delta[g] = threshold;
    alpha[g] = countAbove === 0 ? 0 : sumAbove / countAbove;
  }
  return { codes, alpha, delta };
}
