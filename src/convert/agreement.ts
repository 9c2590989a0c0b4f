/**
 * How far a ternarized model strays from the float model it came from: both run on the same seeded random images
 * (uniform [0, 1) pixels, the runtime's input range) on the fast CPU backend, compared by top-1 class and by the
 * largest absolute difference of any output value.
 */
import { FastCpuExecutor } from '../backends/cpu-fast/executor.js';
import type { Graph } from '../graph/ir.js';
import { mulberry32 } from '../models/random.js';

export interface Agreement {
  /** Number of seeded inputs compared. */
  readonly samples: number;
  readonly seed: number;
  /** Fraction of inputs whose arg-max output is the same in both models. */
  readonly top1: number;
  /** max |ternarized − float| over every output value of every input. */
  readonly maxLogitDiff: number;
}

/** Inputs per run: small enough for any model's activations, large enough to amortise planning. */
const BATCH = 8;

export function measureAgreement(ternarized: Graph, float: Graph, samples: number, seed: number): Agreement {
  const executor = new FastCpuExecutor();
  const random = mulberry32(seed);
  const [channels, height, width] = float.input.shape;
  const imageSize = channels * height * width;
  let agreeing = 0;
  let maxLogitDiff = 0;
  for (let start = 0; start < samples; start += BATCH) {
    const batch = Math.min(BATCH, samples - start);
    const images = Float32Array.from({ length: batch * imageSize }, random);
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
  return { samples, seed, top1: agreeing / samples, maxLogitDiff };
}

function argMax(values: readonly number[]): number {
  return values.reduce((best, value, i) => (value > values[best]! ? i : best), 0);
}
