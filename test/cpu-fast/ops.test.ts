import { describe, expect, it } from 'vitest';
import type { CpuKernels } from '../../src/backends/cpu-fast/executor.js';
import { OP_CASES } from '../op-cases/cases.js';
import { checkFastCpuCase } from '../op-cases/run-cpu-fast.js';

// Node has WebAssembly SIMD, so both kernel sets run here; a missing SIMD would fail the 'wasm-simd' half loudly.
describe.each<CpuKernels>(['wasm-simd', 'js'])('fast CPU kernels (%s) match the float64 reference', (kernels) => {
  it.each(OP_CASES.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
    const result = checkFastCpuCase(spec, kernels);
    expect(result.pass, result.message).toBe(true);
  });
});
