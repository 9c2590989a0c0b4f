import { unpackTernary } from '../../format/ternary-pack.js';
import type { Tensor } from '../../graph/ir.js';

/** Lanes summed at once: eight accumulators stay in registers and share each weight's index or value load. */
export const BLOCK_LANES = 8;

/**
 * A layer's weight rows against a k-major tile, `col[k·width + lane]` (lane = output pixel for conv2d, sample for
 * dense), or against a zero-padded input read in place (see forPaddedInput). Sums exclude alpha/scale, which the
 * epilogue applies once per output.
 */
export interface TileRows {
  /** Σₖ w[o,k]·col[k·width + lane0 + r] for r = 0…7, into sums[r]. */
  block(col: Float32Array, o: number, lane0: number, sums: Float64Array): void;
  /** The same sum for one lane. */
  lane(col: Float32Array, o: number, lane: number): number;
}

export interface WeightRows {
  readonly outChannels: number;
  /** K: weights per output channel, `C·kh·kw` for conv2d. */
  readonly rowLength: number;
  forWidth(width: number): TileRows;
  /**
   * Rows for a stride-1 conv2d [O, C, kh, kw] that read a zero-padded input in place, no im2col: weight (c, i, j) of
   * lane x reads `col[c·planeStride + i·rowStride + j + x]`, col being the input at the output row's first window.
   * undefined where only tiles are supported (float rows).
   */
  forPaddedInput(planeStride: number, rowStride: number): TileRows | undefined;
}

/** Rows already made, per tensor: a weight shared by layers is made once. */
const made = new WeakMap<Tensor, WeightRows>();

/** The JavaScript kernels' form of a weight (the fallback where WebAssembly SIMD cannot run). */
export function weightRows(weight: Tensor): WeightRows {
  let rows = made.get(weight);
  if (rows === undefined) {
    rows = weight.dtype === 'ternary2' ? new TernaryRows(weight) : new FloatRows(weight);
    made.set(weight, rows);
  }
  return rows;
}

/**
 * Ternary codes as index lists: for each output channel, the k of every +1 weight, then of every −1 weight, so the
 * inner loop only adds and subtracts the tile rows they name; zeros cost nothing.
 */
class TernaryRows implements WeightRows {
  readonly outChannels: number;
  readonly rowLength: number;
  private readonly indices: Int32Array;
  /** Channel o's plus indices are [bounds[2o], bounds[2o+1]), its minus indices [bounds[2o+1], bounds[2o+2]). */
  private readonly bounds: Int32Array;
  private readonly shape: readonly number[];

  constructor(weight: Tensor) {
    const [outChannels = 0, ...rest] = weight.shape;
    const rowLength = rest.reduce((product, extent) => product * extent, 1);
    const codes = unpackTernary(weight.data as Uint32Array, weight.shape);
    let nonZero = 0;
    for (const code of codes) if (code !== 0) nonZero++;
    const indices = new Int32Array(nonZero);
    const bounds = new Int32Array(2 * outChannels + 1);
    let next = 0;
    for (let o = 0; o < outChannels; o++) {
      const row = o * rowLength;
      bounds[2 * o] = next;
      for (let k = 0; k < rowLength; k++) if (codes[row + k] === 1) indices[next++] = k;
      bounds[2 * o + 1] = next;
      for (let k = 0; k < rowLength; k++) if (codes[row + k] === -1) indices[next++] = k;
    }
    bounds[2 * outChannels] = next;
    this.outChannels = outChannels;
    this.rowLength = rowLength;
    this.indices = indices;
    this.bounds = bounds;
    this.shape = weight.shape;
  }

  forWidth(width: number): TileRows {
    return new TernaryTileRows(this.indices.map((k) => k * width), this.bounds);
  }

  forPaddedInput(planeStride: number, rowStride: number): TileRows {
    const [, , kernelH = 1, kernelW = 1] = this.shape;
    const taps = kernelH * kernelW;
    const offsets = this.indices.map((k) => {
      const tap = k % taps;
      return Math.floor(k / taps) * planeStride + Math.floor(tap / kernelW) * rowStride + (tap % kernelW);
    });
    return new TernaryTileRows(offsets, this.bounds);
  }
}

class TernaryTileRows implements TileRows {
  constructor(
    /** Where each listed weight's values start in `col` (k·width for a tile). */
    private readonly offsets: Int32Array,
    private readonly bounds: Int32Array,
  ) {}

  block(col: Float32Array, o: number, lane0: number, sums: Float64Array): void {
    const offsets = this.offsets;
    const plusEnd = this.bounds[2 * o + 1]!;
    const end = this.bounds[2 * o + 2]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let j = this.bounds[2 * o]!; j < plusEnd; j++) {
      const at = offsets[j]! + lane0;
      s0 += col[at]!; s1 += col[at + 1]!; s2 += col[at + 2]!; s3 += col[at + 3]!;
      s4 += col[at + 4]!; s5 += col[at + 5]!; s6 += col[at + 6]!; s7 += col[at + 7]!;
    }
    for (let j = plusEnd; j < end; j++) {
      const at = offsets[j]! + lane0;
      s0 -= col[at]!; s1 -= col[at + 1]!; s2 -= col[at + 2]!; s3 -= col[at + 3]!;
      s4 -= col[at + 4]!; s5 -= col[at + 5]!; s6 -= col[at + 6]!; s7 -= col[at + 7]!;
    }
    sums[0] = s0; sums[1] = s1; sums[2] = s2; sums[3] = s3;
    sums[4] = s4; sums[5] = s5; sums[6] = s6; sums[7] = s7;
  }

  lane(col: Float32Array, o: number, lane: number): number {
    const plusEnd = this.bounds[2 * o + 1]!;
    return (
      sumAt(col, this.offsets, this.bounds[2 * o]!, plusEnd, lane) - sumAt(col, this.offsets, plusEnd, this.bounds[2 * o + 2]!, lane)
    );
  }
}

/** Σ col[offsets[j] + lane] over j in [from, to), four partial sums so the adds do not wait on each other. */
function sumAt(col: Float32Array, offsets: Int32Array, from: number, to: number, lane: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = from;
  for (; j + 3 < to; j += 4) {
    s0 += col[offsets[j]! + lane]!;
    s1 += col[offsets[j + 1]! + lane]!;
    s2 += col[offsets[j + 2]! + lane]!;
    s3 += col[offsets[j + 3]! + lane]!;
  }
  for (; j < to; j++) s0 += col[offsets[j]! + lane]!;
  return s0 + s1 + s2 + s3;
}

/** Full-precision rows (f32 first/last layers, full-precision baselines): a plain multiply-add over every k. */
class FloatRows implements WeightRows {
  readonly outChannels: number;
  readonly rowLength: number;
  constructor(private readonly weight: Tensor) {
    const [outChannels = 0, ...rest] = weight.shape;
    this.outChannels = outChannels;
    this.rowLength = rest.reduce((product, extent) => product * extent, 1);
  }

  forWidth(width: number): TileRows {
    return new FloatTileRows(this.weight.data as Float32Array, this.rowLength, width);
  }

  forPaddedInput(): undefined {
    return undefined;
  }
}

class FloatTileRows implements TileRows {
  constructor(
    private readonly weights: Float32Array,
    private readonly rowLength: number,
    private readonly width: number,
  ) {}

  block(col: Float32Array, o: number, lane0: number, sums: Float64Array): void {
    const { weights, rowLength, width } = this;
    const row = o * rowLength;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let k = 0, at = lane0; k < rowLength; k++, at += width) {
      const w = weights[row + k]!;
      s0 += w * col[at]!; s1 += w * col[at + 1]!; s2 += w * col[at + 2]!; s3 += w * col[at + 3]!;
      s4 += w * col[at + 4]!; s5 += w * col[at + 5]!; s6 += w * col[at + 6]!; s7 += w * col[at + 7]!;
    }
    sums[0] = s0; sums[1] = s1; sums[2] = s2; sums[3] = s3;
    sums[4] = s4; sums[5] = s5; sums[6] = s6; sums[7] = s7;
  }

  lane(col: Float32Array, o: number, lane: number): number {
    const { weights, rowLength, width } = this;
    const row = o * rowLength;
    let sum = 0;
    for (let k = 0, at = lane; k < rowLength; k++, at += width) sum += weights[row + k]! * col[at]!;
    return sum;
  }
}
