import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP_CASES } from '../op-cases/cases.js';
import { checkGpuCase } from '../op-cases/run-webgpu.js';
import { testDevice } from './test-device.js';

let device: GPUDevice;
beforeAll(async () => {
  device = await testDevice();
});
afterAll(() => device?.destroy());

describe('every WebGPU kernel matches the float64 reference', () => {
  it.each(OP_CASES.map((spec) => [spec.name, spec] as const))('%s', async (_name, spec) => {
    const result = await checkGpuCase(device, spec);
    expect(result.pass, result.message).toBe(true);
  });
});
