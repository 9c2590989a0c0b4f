import type { KernelModule } from '../kernel.js';
import { addKernel } from './add.js';
import { avgpoolKernel } from './avgpool.js';
import { batchnormKernel } from './batchnorm.js';
import { conv2dKernel } from './conv2d.js';
import { denseKernel } from './dense.js';
import { flattenKernel } from './flatten.js';
import { globalAvgpoolKernel } from './global_avgpool.js';
import { maxpoolKernel } from './maxpool.js';
import { normalizeKernel } from './normalize.js';
import { reluKernel } from './relu.js';
import { softmaxKernel } from './softmax.js';

const KERNELS: ReadonlyMap<string, KernelModule> = new Map(
  [
    addKernel,
    avgpoolKernel,
    batchnormKernel,
    conv2dKernel,
    denseKernel,
    flattenKernel,
    globalAvgpoolKernel,
    maxpoolKernel,
    normalizeKernel,
    reluKernel,
    softmaxKernel,
  ].map((kernel) => [kernel.op, kernel]),
);

export function getKernel(op: string): KernelModule | undefined {
  return KERNELS.get(op);
}

/** The ops with a WebGPU kernel (a test checks they are exactly src/ops/registry.ts's). */
export function kernelOps(): string[] {
  return [...KERNELS.keys()];
}
