import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/models/random.js';
import { ternarize } from '../src/ternarize.js';

// Two output channels of three weights; |W| sums to 1.8 in row 0 and 1.2 in row 1, 3.0 in all.
const W = [1.0, -0.2, -0.6, 0.1, -0.8, 0.3];

describe('ternarize (Δ = 0.7·mean|W|, α = mean|W| over |W| > Δ)', () => {
  it('per layer, worked by hand', () => {
    // mean|W| = 3.0/6 = 0.5 → Δ = 0.35.
    // 1.0 > Δ → +1; |−0.2| ≤ Δ → 0; −0.6 < −Δ → −1; 0.1 → 0; −0.8 → −1; 0.3 ≤ 0.35 → 0.
    // α = (1.0 + 0.6 + 0.8)/3 = 0.8.
    const { codes, alpha, delta } = ternarize(W, [2, 3], 'per-layer');
    expect([...codes]).toEqual([1, 0, -1, 0, -1, 0]);
    expect(delta[0]).toBeCloseTo(0.35, 15);
    expect([...alpha]).toEqual([Math.fround(0.8)]);
  });

  it('per output channel, worked by hand', () => {
    // Row 0: mean 1.8/3 = 0.6 → Δ₀ = 0.42: codes +1, 0, −1; α₀ = (1.0 + 0.6)/2 = 0.8.
    // Row 1: mean 1.2/3 = 0.4 → Δ₁ = 0.28: 0.1 → 0, −0.8 → −1, 0.3 > 0.28 → +1; α₁ = (0.8 + 0.3)/2 = 0.55.
    const { codes, alpha, delta } = ternarize(W, [2, 3], 'per-channel');
    expect([...codes]).toEqual([1, 0, -1, 0, -1, 1]);
    expect(delta[0]).toBeCloseTo(0.42, 15);
    expect(delta[1]).toBeCloseTo(0.28, 15);
    expect([...alpha]).toEqual([Math.fround(0.8), Math.fround(0.55)]);
  });

  it('treats a conv weight [O, C, kh, kw] per channel over C·kh·kw', () => {
    const asConv = ternarize(Float32Array.from(W), [2, 1, 1, 3], 'per-channel');
    expect([...asConv.codes]).toEqual([1, 0, -1, 0, -1, 1]);
    expect(asConv.alpha[1]).toBeCloseTo(0.55, 6);
  });

  it('gives α = 0 and all codes 0 where nothing exceeds Δ (an all-zero group)', () => {
    // Row 1 is all zero: mean 0 → Δ₁ = 0, and 0 > 0 is false, so no weight is above Δ; α₁ = 0 instead of 0/0.
    // Row 0: mean 0.5 → Δ₀ = 0.35; both |±0.5| > Δ₀ → +1, −1; α₀ = 0.5.
    const perChannel = ternarize([0.5, -0.5, 0, -0], [2, 2], 'per-channel');
    expect([...perChannel.codes]).toEqual([1, -1, 0, 0]);
    expect([...perChannel.alpha]).toEqual([0.5, 0]);
    expect([...perChannel.delta]).toEqual([0.35, 0]);
    const perLayer = ternarize(new Float32Array(4), [4, 1], 'per-layer');
    expect([...perLayer.codes]).toEqual([0, 0, 0, 0]);
    expect([...perLayer.alpha]).toEqual([0]);
  });

  it('matches the Gaussian statistics: Δ ≈ 0.5585σ keeps ~57.6% of weights, α ≈ 1.1844σ', () => {
    // For W ~ N(0, σ²): mean|W| = σ·√(2/π), Δ = 0.7·that = 0.5585σ, P(|W| > Δ) = 2(1 − Φ(0.5585)) = 0.5764,
    // α = E[|W| | |W| > Δ] = 2φ(0.5585)/0.5764 · σ = 1.1844σ.
    const random = seededRandom(1);
    const sigma = 0.05;
    const n = 200_000;
    const weights = Float64Array.from({ length: n }, () => sigma * random.normal());
    const { codes, alpha, delta } = ternarize(weights, [1, n]);
    const kept = codes.reduce((count, c) => count + (c !== 0 ? 1 : 0), 0) / n;
    expect(delta[0]! / sigma).toBeCloseTo(0.5585, 2);
    expect(kept).toBeCloseTo(0.5764, 2);
    expect(alpha[0]! / sigma).toBeCloseTo(1.1844, 2);
  });

  it('rejects weights that do not fit the shape', () => {
    expect(() => ternarize([1, 2, 3], [2, 2])).toThrow(RangeError);
    expect(() => ternarize([], [0, 2])).toThrow(RangeError);
  });
});
