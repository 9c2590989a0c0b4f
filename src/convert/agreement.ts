/**
 * How far a ternarized model strays from the float model it came from: both run on the same images on the fast CPU
 * backend, compared by top-1 class and by the largest absolute difference of any output value. The images are the
 * caller's samples (real images say far more) or else seeded random pixels, uniform in [0, 1) like the runtime's input.
 */
import { FastCpuExecutor } from '../backends/cpu-fast/executor.js';
import type { Graph } from '../graph/ir.js';
import { mulberry32 } from '../models/random.js';

export interface Agreement {
  /** Number of inputs compared. */
  readonly samples: number;
  /** 'given': the caller's sample images; else seeded random pixels from `seed`. */
  readonly inputs: 'given' | 'seeded-random';
  readonly seed?: number;
  /** Fraction of inputs whose arg-max output is the same in both models. */
  readonly top1: number;
  /** max |ternarized − float| over every output value of every input. */
  readonly maxLogitDiff: number;
}

/** Inputs per run: small enough for any model's activations, large enough to amortise planning. */
const BATCH = 8;

/** Where the compared inputs come from: NCHW pixels in [0, 1] (`count` images), or `count` seeded random ones. */
export type AgreementInputs =
  { readonly pixels: Float32Array; readonly count: number } | { readonly seed: number; readonly count: number };

export function measureAgreement(ternarized: Graph, float: Graph, inputs: AgreementInputs): Agreement {
  const executor = new FastCpuExecutor();
  const [channels, height, width] = float.input.shape;
  const imageSize = channels * height * width;
  const samples = inputs.count;
  const pixels =
    'pixels' in inputs ? inputs.pixels : Float32Array.from({ length: samples * imageSize }, mulberry32(inputs.seed));
  let agreeing = 0;
  let maxLogitDiff = 0;
  for (let start = 0; start < samples; start += BATCH) {
    const batch = Math.min(BATCH, samples - start);
    const images = pixels.subarray(start * imageSize, (start + batch) * imageSize);
    const a = executor.run(ternarized, images, batch).get(ternarized.outputs[0]!)!.data;
    const b = executor.run(float, images, batch).get(float.outputs[0]!)!.data;
    const classes = a.length / batch;
    for (let n = 0; n < batch; n++) {
      const row = (data: ArrayLike<number>) => Array.from({ length: classes }, (_, k) => data[n * classes + k]!);
      const [rowA, rowB] = [row(a), row(b)];
      if (argMax(rowA) === argMax(rowB)) agreeing++;
      rowA.forEach((value, k) => (maxLogitDiff = Math.max(maxLogitDiff, Math.abs(value - rowB[k]!))));
    }
  }
  const source =
    'pixels' in inputs ? { inputs: 'given' as const } : { inputs: 'seeded-random' as const, seed: inputs.seed };
  return { samples, ...source, top1: agreeing / samples, maxLogitDiff };
}

function argMax(values: readonly number[]): number {
  return values.reduce((best, value, i) => (value > values[best]! ? i : best), 0);
}
