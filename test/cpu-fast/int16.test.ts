/**
 * The int16 kernels (precision 'int16', docs/FORMAT.md §7.1) against the float64 reference run on fake-quantised
 * inputs: every ternary conv2d/dense op case, tasks cut for 1–4 threads, at 8 bits and at 15 bits (where the i16
 * lanes are widened after every nonzero weight, and the sums leave float32's exact integers behind).
 */
import { describe, expect, it } from 'vitest';
import type { Int16Quantiser } from '../../src/backends/cpu-fast/kernel.js';
import type { RefTensor } from '../../src/ops/op.js';
import { OP_CASES, type OpCase } from '../op-cases/cases.js';
import { compareToReference, OP_RELATIVE_TOLERANCE, referenceOutput } from '../op-cases/compare.js';
import { runOnFastCpu } from '../op-cases/run-cpu-fast.js';

/** roundTiesToEven, as IEEE 754 and f32x4.nearest round. */
function roundTiesToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return fraction < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** s = qmax/r as float32, as the runtime derives it from a file's range. */
function quantiser(range: number, bits: number): Int16Quantiser {
  const qmax = 2 ** (bits - 1) - 1;
  return { scale: Math.fround(qmax / range), qmax, step: range / qmax };
}

/** x → q·r/qmax with q = clamp(roundTiesToEven(x·s), ±qmax), x·s rounded to float32 as the kernels multiply. */
function fakeQuantised(tensor: RefTensor, { scale, qmax, step }: Int16Quantiser): RefTensor {
  const data = tensor.data.map((x) => Math.max(-qmax, Math.min(qmax, roundTiesToEven(Math.fround(x * scale)))) * step);
  return { shape: tensor.shape, data };
}

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
