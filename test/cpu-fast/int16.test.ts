/**
 * The int16 kernels (precision 'int16', docs/FORMAT.md §7.1) against the float64 reference run on fake-quantised
 * inputs: every ternary conv2d/dense op case, tasks cut for 1–4 threads, at 8 bits and at 15 bits (where the i16
 * lanes are widened after every nonzero weight, and the sums leave float32's exact integers behind).
 */
import { describe, expect, it } from 'vitest';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/index.js';
import type { Int16Quantiser } from '../../src/backends/cpu-fast/kernel.js';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildLeNet5, buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { OP_CASES, type OpCase } from '../op-cases/cases.js';
import { compareToReference, OP_RELATIVE_TOLERANCE, referenceOutput } from '../op-cases/compare.js';
import { tinyResNetFile } from '../graph/fixtures.js';
import { calibration, fakeQuantised, quantiser, quantisersOf, referenceRun } from '../op-cases/int16-reference.js';
import { runOnFastCpu } from '../op-cases/run-cpu-fast.js';

/** The case's reference with its first input (the layer's activations) fake-quantised; a residual stays float. */
function quantisedReference(opCase: OpCase, int16: Int16Quantiser): Float64Array {
  const [input, ...rest] = opCase.inputs;
  return referenceOutput({ ...opCase, inputs: [fakeQuantised(input!, int16), ...rest] }).data as Float64Array;
}

/** A range below the largest |x|, so some codes clamp at ±qmax. */
function rangeOf(opCase: OpCase): number {
  let largest = 0;
  for (const x of opCase.inputs[0]!.data) largest = Math.max(largest, Math.abs(x));
  return 0.8 * largest;
}

const TERNARY_LAYERS = OP_CASES.filter((spec) => /^(conv2d|dense) (?!float)/.test(spec.name));
const RUNS: [number, number][] = [[8, 1], [8, 2], [8, 3], [8, 4], [15, 1], [15, 3]];

describe.each(RUNS)('int16 kernels (%i bits, tasks for %i threads) vs fake-quantised reference', (bits, threads) => {
  it.each(TERNARY_LAYERS.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
    const opCase = spec.build();
    const int16 = quantiser(rangeOf(opCase), bits);
    const output = runOnFastCpu(opCase, 'wasm-simd', threads, int16);
    const result = compareToReference(output, quantisedReference(opCase, int16), OP_RELATIVE_TOLERANCE);
    expect(result.pass, result.message).toBe(true);
  });
});

describe('int16 kernels', () => {
  it('quantise: at 3 bits the output follows the fake-quantised reference, not the float one', () => {
    const opCase = TERNARY_LAYERS.find((spec) => spec.name.includes('stem'))!.build();
    const int16 = quantiser(rangeOf(opCase), 3);
    const output = runOnFastCpu(opCase, 'wasm-simd', 1, int16);
    expect(compareToReference(output, quantisedReference(opCase, int16), OP_RELATIVE_TOLERANCE).pass).toBe(true);
    expect(compareToReference(output, referenceOutput(opCase).data, 0.01).pass).toBe(false);
  });

  it('float-weight layers ignore the quantiser', () => {
    const spec = OP_CASES.find((candidate) => candidate.name.startsWith('conv2d float'))!;
    const opCase = spec.build();
    const output = runOnFastCpu(opCase, 'wasm-simd', 1, quantiser(rangeOf(opCase), 4));
    expect(compareToReference(output, referenceOutput(opCase).data, OP_RELATIVE_TOLERANCE).pass).toBe(true);
  });
});

describe('FastCpuExecutor precision int16', () => {
  const nets = [
    { name: 'VGG-7 ×0.25', bytes: () => buildVgg7({ seed: 3, widthMultiplier: 0.25 }) },
    {
      name: 'a small ResNet (residual blocks, stride 2, per-channel α)',
      bytes: () => writeTwnFile(tinyResNetFile({ seed: 4, foldBatchNorm: false, granularity: 'per-channel' })),
    },
  ];

  it.each(nets)('$name, batch 2: the fake-quantised reference, not the float one', ({ bytes }) => {
    const graph = graphFromFile(readTwnFile(bytes()));
    const random = seededRandom(12);
    const input = Float32Array.from({ length: 2 * 3 * 32 * 32 }, () => random.uniform(0, 1));
    const int16 = calibration(graph, input, 2, 8);
    const calibrated = { ...graph, metadata: { ...graph.metadata, int16 } };
    const fast = new FastCpuExecutor({ precision: 'int16' });
    expect(fast.precision).toBe('int16');
    const logits = fast.run(calibrated, input, 2).get('logits')!.data;
    const expected = referenceRun(calibrated, input, 2, quantisersOf(int16)).outputs.get('logits')!.data;
    const float = referenceRun(graph, input, 2).outputs.get('logits')!.data;
    const quantisedError = compareToReference(logits, expected, 0).maxError;
    const floatError = compareToReference(logits, float, 0).maxError;
    // A code could differ by one where float32 and float64 activations round x·s apart (none did here: ~3e-7);
    // quantisation moves the logits by ~0.03–0.2.
    expect(quantisedError).toBeLessThan(OP_RELATIVE_TOLERANCE * Math.max(1, ...expected.map(Math.abs)));
    expect(quantisedError).toBeLessThan(floatError / 10);
  });

  it('refuses a batch its WebAssembly memory cannot hold (RUN_TOO_LARGE), rather than running float32', () => {
    // Threads share a memory of at most 1 GiB; LeNet-5's activations take ~95 KB per image.
    const graph = graphFromFile(readTwnFile(buildLeNet5({ seed: 1, int16CalibrationImages: 2 })));
    const fast = new FastCpuExecutor({ precision: 'int16', threads: 2 });
    try {
      expect(fast.precision).toBe('int16');
      const batch = 12_000;
      const input = new Float32Array(batch * 28 * 28);
      expect(() => fast.run(graph, input, batch)).toThrowError(expect.objectContaining({ code: 'RUN_TOO_LARGE' }));
      expect(fast.run(graph, input.subarray(0, 784), 1).get('logits')!.data).toHaveLength(10);
    } finally {
      fast.dispose();
    }
  });

  it('runs float32 for a graph without ranges, and with the JavaScript kernels', () => {
    const graph = graphFromFile(readTwnFile(buildVgg7({ seed: 3, widthMultiplier: 0.25 })));
    const input = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => (i % 13) / 13);
    const float = new FastCpuExecutor().run(graph, input, 1).get('logits')!.data;
    expect(new FastCpuExecutor({ precision: 'int16' }).run(graph, input, 1).get('logits')!.data).toEqual(float);
    expect(new FastCpuExecutor({ precision: 'int16', kernels: 'js' }).precision).toBe('float32');
  });
});
