/**
 * Exposes the shared op cases (test/op-cases/) and network checks to Playwright: the same cases as the Node tests, run
 * in the page on the browser's own WebGPU.
 */
import { acquireDevice, type AdapterSummary } from '../../../src/backends/webgpu/device.js';
import type { KernelOverrides } from '../../../src/backends/webgpu/kernel-policy.js';
import { PipelineFactory } from '../../../src/backends/webgpu/pipelines.js';
import { CONV_CASES, OP_CASES } from '../../op-cases/cases.js';
import type { CaseResult } from '../../op-cases/compare.js';
import { checkGpuCase } from '../../op-cases/run-webgpu.js';
import { checkNetCase, NET_CASES, type NetResult } from '../../webgpu/net-cases.js';
// Registers window.twnLifetimes for lifetimes.spec.ts.
import './lifetimes.js';

export interface BrowserReport<T> {
  readonly adapter?: AdapterSummary;
  readonly results: readonly T[];
}

export interface BrowserChecks {
  kernels(): Promise<BrowserReport<CaseResult>>;
  /** The conv2d cases on a variant SwiftShader does not pick by itself: staged, square tiles (a desktop GPU's). */
  stagedConvKernels(): Promise<BrowserReport<CaseResult>>;
  nets(): Promise<BrowserReport<NetResult>>;
}

async function withDevice<T>(check: (device: GPUDevice) => Promise<T[]>): Promise<BrowserReport<T>> {
  const { device, adapter } = await acquireDevice();
  try {
    return { adapter, results: await check(device) };
  } finally {
    device.destroy();
  }
}

async function inOrder<S, T>(specs: readonly S[], check: (spec: S) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (const spec of specs) results.push(await check(spec));
  return results;
}

const STAGED_SQUARE: KernelOverrides = { convTile: 'square', staged: true };

const checks: BrowserChecks = {
  kernels: () => withDevice((device) => inOrder(OP_CASES, (spec) => checkGpuCase(device, spec))),
  stagedConvKernels: () =>
    withDevice((device) => {
      const pipelines = new PipelineFactory(device);
      return inOrder(CONV_CASES, (spec) => checkGpuCase(device, spec, STAGED_SQUARE, pipelines));
    }),
  nets: () => withDevice((device) => inOrder([NET_CASES.lenet5, NET_CASES.resnet18Cifar], (spec) => checkNetCase(device, spec))),
};

(window as unknown as { twnChecks: BrowserChecks }).twnChecks = checks;
document.getElementById('status')!.textContent = 'ready';
