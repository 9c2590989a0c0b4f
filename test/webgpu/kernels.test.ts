import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from './test-device.js';
import { checkKernelCase, KERNEL_CASES } from './kernel-cases.js';

let device: GPUDevice;
beforeAll(async () => {
  device = await testDevice();
});
afterAll(() => device?.destroy());

describe('every WebGPU kernel matches the float64 reference', () => {
  it.each(KERNEL_CASES.map((spec) => [spec.name, spec] as const))('%s', async (_name, spec) => {
    const result = await checkKernelCase(device, spec);
    expect(result.maxError, `max |gpu − ref| ${result.maxError} > ${result.tolerance}`).toBeLessThanOrEqual(result.tolerance);
  });
});
