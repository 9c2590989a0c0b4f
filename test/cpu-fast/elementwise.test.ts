/**
 * The WebAssembly elementwise kernels against the JavaScript ones and a float64 softmax: relu, add and the affine map
 * (normalize, batchnorm) give the same floats bit for bit, special values included, for any task cut; softmax stays
 * within float32 rounding of a softmax computed in float64.
 */
import { describe, expect, it } from 'vitest';
import { OP_CASES, type OpCase } from '../op-cases/cases.js';
import { runOnFastCpu } from '../op-cases/run-cpu-fast.js';
import { seededRandom } from '../../src/models/random.js';

const SPECIAL = [Number.NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.4028234663852886e38, -1.5, 2.5];

/** The case with special values written over the start of every input (a different rotation per input). */
function withSpecialValues(opCase: OpCase): OpCase {
  const inputs = opCase.inputs.map((input, i) => {
    const data = Float64Array.from(input.data);
    SPECIAL.forEach((value, j) => {
      data[(j * 7 + i * 3) % data.length] = value;
    });
    return { ...input, data };
  });
  return { ...opCase, inputs };
}

describe('WebAssembly elementwise kernels', () => {
  const exact = OP_CASES.filter((spec) => /^(relu|add|normalize|batchnorm) /.test(spec.name));

  const named = exact.map((spec) => [spec.name, spec] as const);
  it.each(named)("%s: the JavaScript kernel's floats, bit for bit", (_name, spec) => {
    const opCase = withSpecialValues(spec.build());
    const expected = runOnFastCpu(opCase, 'js');
    for (const threads of [1, 3]) {
      const actual = runOnFastCpu(opCase, 'wasm-simd', threads);
      const differing = expected.findIndex((value, i) => !Object.is(value, actual[i]));
      const message = `${threads} threads: element ${differing}: ${actual[differing]} ≠ ${expected[differing]}`;
      expect(differing, message).toBe(-1);
    }
  });

  it.each([1, 3, 4, 5, 1000, 1003])('softmax over K = %i: a float64 softmax within float32 rounding', (classes) => {
    const random = seededRandom(classes);
    const rows = 3;
    const data = Float64Array.from(Float32Array.from({ length: rows * classes }, () => random.uniform(-40, 40)));
    const spec = OP_CASES.find((candidate) => candidate.name.startsWith('softmax '))!;
    const opCase = spec.build();
    const inputs = [{ ...opCase.inputs[0]!, shape: [rows, classes], data }];
    const actual = runOnFastCpu({ ...opCase, inputs }, 'wasm-simd');
    for (let row = 0; row < rows; row++) {
      const values = [...data.subarray(row * classes, (row + 1) * classes)];
      const max = Math.max(...values);
      const total = values.reduce((sum, value) => sum + Math.exp(value - max), 0);
      values.forEach((value, k) => {
        const expected = Math.exp(value - max) / total;
        const got = actual[row * classes + k]!;
        // x − max rounded to float32 moves e^(x − max) by up to |x − max|·2^-24 relative; then a few ulps for exp,
        // the sum and the division; or absolutely tiny where e^x underflows float32 (clamped at ~1e-38).
        const bound = (Math.abs(value - max) + 4) * 2 ** -23 * expected;
        expect(Math.abs(got - expected), `row ${row}, k ${k}`).toBeLessThanOrEqual(Math.max(bound, 1e-37));
      });
    }
  });

  it('softmax: NaN anywhere in a row gives NaN for the row, as Math.max and Math.exp do', () => {
    const spec = OP_CASES.find((candidate) => candidate.name.startsWith('softmax '))!;
    const opCase = spec.build();
    const data = Float64Array.from([1, Number.NaN, 2, 3, 4, 0.5, 0.25, 0.125]);
    const actual = runOnFastCpu({ ...opCase, inputs: [{ ...opCase.inputs[0]!, shape: [2, 4], data }] }, 'wasm-simd');
    expect([...actual.subarray(0, 4)].every(Number.isNaN)).toBe(true);
    expect(actual.subarray(4).reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 6);
  });
});
