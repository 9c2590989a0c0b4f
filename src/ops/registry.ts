import { add } from './add.js';
import { avgpool } from './avgpool.js';
import { batchnorm } from './batchnorm.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { flatten } from './flatten.js';
import { globalAvgpool } from './global_avgpool.js';
import { maxpool } from './maxpool.js';
import { normalize } from './normalize.js';
import type { OpDef } from './op.js';
import { relu } from './relu.js';
import { softmax } from './softmax.js';

// A static table (no registration side effects, so bundlers can tree-shake: package.json has sideEffects: false).
// Adding an op: one file in src/ops/, one entry here, one kernel in src/backends/webgpu/kernels/.
const OPS: ReadonlyMap<string, OpDef> = new Map<string, OpDef>(
  [normalize, conv2d, dense, batchnorm, relu, maxpool, avgpool, globalAvgpool, add, flatten, softmax].map((op) => [op.type, op]),
);

export function getOp(type: string): OpDef | undefined {
  return OPS.get(type);
}

/** Every op type, for the test that the backends and the op cases cover each one. */
export function opTypes(): string[] {
  return [...OPS.keys()];
}
