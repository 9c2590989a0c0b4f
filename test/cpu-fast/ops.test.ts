import { describe, expect, it } from 'vitest';
import type { CpuKernels } from '../../src/backends/cpu-fast/options.js';
import { getWasmOp } from '../../src/backends/cpu-fast/ops.js';
import { OP_CASES } from '../op-cases/cases.js';
import { checkFastCpuCase } from '../op-cases/run-cpu-fast.js';

// Node has WebAssembly SIMD, so both kernel sets run here; a missing SIMD would fail the 'wasm-simd' half loudly.
// The WebAssembly kernels also run with their tasks cut for 2–4 threads (test/cpu-fast/threads.test.ts runs them on
// real helper threads): every cut must give the reference's answer.
const RUNS: [CpuKernels, number][] = [['wasm-simd', 1], ['wasm-simd', 2], ['wasm-simd', 3], ['wasm-simd', 4], ['js', 1]];

describe.each(RUNS)('fast CPU kernels (%s, tasks for %i threads) match the float64 reference', (kernels, threads) => {
  // Case names start with their op; ops without WebAssembly kernels run the same JavaScript for any thread count.
  const cases = OP_CASES.filter((spec) => threads === 1 || getWasmOp(spec.name.split(' ')[0]!) !== undefined);
  it.each(cases.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
    const result = checkFastCpuCase(spec, kernels, threads);
    expect(result.pass, result.message).toBe(true);
  });
});
