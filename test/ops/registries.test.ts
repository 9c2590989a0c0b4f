import { describe, expect, it } from 'vitest';
import { fastOpTypes, getFastOp } from '../../src/backends/cpu-fast/ops.js';
import { getKernel, kernelOps } from '../../src/backends/webgpu/kernels/registry.js';
import { getOp, opTypes } from '../../src/ops/registry.js';
import { OP_CASES } from '../op-cases/cases.js';

/** The op of every shared op case (test/op-cases/cases.ts), which every backend runs against the reference. */
const casedOps = new Set(OP_CASES.map((spec) => spec.build().node.op));

describe('the op registries agree', () => {
  it.each(opTypes())('%s has a float64 reference, a kernel on each backend, and an op case', (op) => {
    expect(typeof getOp(op)?.reference).toBe('function');
    expect(typeof getOp(op)?.inferShapes).toBe('function');
    expect(getKernel(op), `no WebGPU kernel for ${op}`).toBeDefined();
    expect(getFastOp(op), `no fast CPU kernel for ${op}`).toBeDefined();
    expect(casedOps.has(op), `no case for ${op} in test/op-cases/cases.ts`).toBe(true);
  });

  it('no backend has a kernel, and no case an op, that src/ops/registry.ts does not define', () => {
    const ops = [...opTypes()].sort();
    expect([...kernelOps()].sort()).toEqual(ops);
    expect([...fastOpTypes()].sort()).toEqual(ops);
    expect([...casedOps].filter((op) => !ops.includes(op))).toEqual([]);
  });
});
