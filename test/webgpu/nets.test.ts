import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDevice } from './test-device.js';
import { checkNetCase, NET_CASES, NET_RELATIVE_TOLERANCE } from './net-cases.js';

let device: GPUDevice;
beforeAll(async () => {
  device = await testDevice();
});
afterAll(() => device?.destroy());

describe('whole networks on WebGPU match the float64 CPU reference', () => {
  it.each(Object.values(NET_CASES).map((spec) => [`${spec.name}, batch ${spec.batch}`, spec] as const))(
    '%s',
    async (_name, spec) => {
      const result = await checkNetCase(device, spec);
      console.log(`${result.name}: relative error ${result.relativeError.toExponential(2)}, gpu ${result.gpuMs.toFixed(0)} ms, reference ${result.referenceMs.toFixed(0)} ms`);
      expect(result.argmaxAgrees).toBe(true);
      expect(result.relativeError).toBeLessThanOrEqual(NET_RELATIVE_TOLERANCE);
    },
    300_000,
  );
});
