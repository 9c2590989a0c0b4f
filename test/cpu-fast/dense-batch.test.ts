/**
 * dense at batch N: a GEMV that sums DENSE_SAMPLES samples per pass over each weight row (wasm/kernels.ts), or from a
 * few samples on (ternary) a 1×1 conv2d whose lanes are the samples (wasm/linear.ts). Every sample takes the same
 * integer steps at int16, so an image's logits must not depend on its batch, bit for bit; at float32 the GEMV's
 * passes keep that too, and the lanes path sums in another order, within the op tolerance. The values themselves are
 * held against the float64 reference by the op cases (ops.test.ts, int16.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { FastCpuExecutor, type Precision } from '../../src/backends/cpu-fast/index.js';
import { DENSE_SAMPLES } from '../../src/backends/cpu-fast/wasm/kernels.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildLeNet5 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { compareToReference, OP_RELATIVE_TOLERANCE } from '../op-cases/compare.js';
import { calibration } from '../op-cases/int16-reference.js';

describe('batched dense', () => {
  it.each<Precision>(['float32', 'int16'])(
    '%s: each image of a batch of 2, 3, 5 or 8 gets the logits it gets alone (ternary fc1, float fc2)',
    (precision) => {
      expect(DENSE_SAMPLES).toBeGreaterThan(1);
      const graph = graphFromFile(readTwnFile(buildLeNet5({ seed: 21, fullPrecisionFirstLast: true })));
      const random = seededRandom(22);
      const image = 28 * 28;
      const input = Float32Array.from({ length: 8 * image }, () => random.uniform(0, 1));
      const int16 = calibration(graph, input, 8, 8);
      const calibrated = precision === 'int16' ? { ...graph, metadata: { ...graph.metadata, int16 } } : graph;
      const fast = new FastCpuExecutor({ precision });
      expect(fast.precision).toBe(precision);
      const alone = Array.from({ length: 8 }, (_, n) => [
        ...fast.run(calibrated, input.subarray(n * image, (n + 1) * image), 1).get('logits')!.data,
      ]);
      for (const batch of [2, 3, 5, 8]) {
        const logits = fast.run(calibrated, input.subarray(0, batch * image), batch).get('logits')!.data;
        const expected = alone.slice(0, batch).flat();
        if (precision === 'int16' || batch === 2) expect([...logits]).toEqual(expected);
        else expect(compareToReference(logits, Float64Array.from(expected), OP_RELATIVE_TOLERANCE).pass).toBe(true);
      }
      fast.dispose();
    },
  );
});
