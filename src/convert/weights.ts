/**
 * The weight of one conv2d/dense layer as the converter stores it: 2-bit codes with α when the values already are
 * α·{−1, 0, +1} (per layer or per output channel), f32 otherwise, or ternarized by the paper's rule on request.
 */
import { packTernary } from '../format/ternary-pack.js';
import type { Tensor } from '../graph/ir.js';
import { ternarize, type Granularity } from '../ternarize.js';

/**
 * Relative tolerance of the ternary check: within a group every non-zero |w| must lie within this fraction of the
 * group's mean non-zero |w|. Exporters that compute α·code in float32 (BatchNorm folded into the weight, say)
 * give magnitudes equal to the last bit; 1e-5 leaves room for a float64 → float32 round trip and nothing more, so
 * a trained float layer (whose magnitudes spread over orders of magnitude) never passes.
 */
export const DEFAULT_TERNARY_TOLERANCE = 1e-5;

export interface TernaryMatch {
  readonly codes: Int8Array;
  /** One α (per layer) or one per output channel. */
  readonly alpha: Float32Array;
  readonly granularity: Granularity;
}

/**
 * Finds α and codes with `w = α·code` for every weight (zeros exactly zero), trying one α for the whole tensor
 * first, then one per output channel (first dim). Returns undefined when neither fits within `tolerance`.
 */
export function matchTernary(weights: Float64Array, outputs: number, tolerance: number): TernaryMatch | undefined {
  for (const granularity of ['per-layer', 'per-channel'] as const) {
    const groups = granularity === 'per-layer' ? 1 : outputs;
    const match = matchGroups(weights, groups, tolerance);
    if (match !== undefined) return { ...match, granularity };
  }
  return undefined;
}

function matchGroups(
  weights: Float64Array,
  groups: number,
  tolerance: number,
): Omit<TernaryMatch, 'granularity'> | undefined {
  const groupSize = weights.length / groups;
  const codes = new Int8Array(weights.length);
  const alpha = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    const start = g * groupSize;
    let sum = 0;
    let count = 0;
    for (let i = start; i < start + groupSize; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      sum += Math.abs(w);
      count++;
      codes[i] = w > 0 ? 1 : -1;
    }
    const magnitude = count === 0 ? 0 : sum / count;
    for (let i = start; i < start + groupSize; i++) {
      const w = weights[i]!;
      if (w !== 0 && !(Math.abs(Math.abs(w) - magnitude) <= tolerance * magnitude)) return undefined;
    }
    alpha[g] = magnitude;
  }
  return { codes, alpha };
}

/** How a layer's weight was stored, for the conversion report. */
export type WeightKind = 'ternary' | 'float' | 'ternarized';

export interface StoredWeight {
  readonly kind: WeightKind;
  readonly weight: Tensor;
  /** Absent for f32 weights. */
  readonly alpha?: Tensor;
  readonly granularity?: Granularity;
}

export interface WeightOptions {
  readonly tolerance: number;
  /** Ternarize a float weight by Δ = 0.7·mean|W| (src/ternarize.ts) instead of keeping it f32. */
  readonly ternarize: boolean;
  readonly granularity: Granularity;
}

/** `weights` row-major over `shape` = [O, …]. */
export function storeWeight(weights: Float64Array, shape: readonly number[], options: WeightOptions): StoredWeight {
  const match = matchTernary(weights, shape[0]!, options.tolerance);
  if (match !== undefined) return ternaryWeight('ternary', match.codes, match.alpha, shape, match.granularity);
  if (options.ternarize) {
    const { codes, alpha } = ternarize(weights, shape, options.granularity);
    return ternaryWeight('ternarized', codes, alpha, shape, options.granularity);
  }
  return { kind: 'float', weight: { dtype: 'f32', shape: [...shape], data: Float32Array.from(weights) } };
}

function ternaryWeight(
  kind: WeightKind,
  codes: Int8Array,
  alpha: Float32Array,
  shape: readonly number[],
  granularity: Granularity,
): StoredWeight {
  return {
    kind,
    weight: { dtype: 'ternary2', shape: [...shape], data: packTernary(codes, shape) },
    alpha: { dtype: 'f32', shape: [alpha.length], data: alpha },
    granularity,
  };
}
