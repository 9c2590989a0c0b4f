import type { OpDef } from './op.js';

// A static table (no registration side effects, so bundlers can tree-shake: package.json has sideEffects: false).
// Adding an op: one file in src/ops/, one entry here, one kernel in src/backends/webgpu/kernels/.
const OPS: ReadonlyMap<string, OpDef> = new Map<string, OpDef>([]);

export function getOp(type: string): OpDef | undefined {
  return OPS.get(type);
}

export function opTypes(): string[] {
  return [...OPS.keys()];
}
