import { describe, expect, it } from 'vitest';
import { OP_CASES } from '../op-cases/cases.js';
import { checkFastCpuCase } from '../op-cases/run-cpu-fast.js';

describe('fast CPU kernels match the float64 reference', () => {
  it.each(OP_CASES.map((spec) => [spec.name, spec] as const))('%s', (_name, spec) => {
    const result = checkFastCpuCase(spec);
    expect(result.pass, result.message).toBe(true);
  });
});
