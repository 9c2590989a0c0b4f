import { afterEach, describe, expect, it, vi } from 'vitest';
import { TwnDeviceError } from '../../src/errors.js';
import { testDevice } from './test-device.js';

const DAWN_GPU_KEY = Symbol.for('twn-webgpu.dawn-gpu');

afterEach(() => {
  vi.unstubAllGlobals();
  vi.doUnmock('webgpu');
  vi.resetModules();
});

/** device.ts loaded afresh, so that it sees the stubbed globals and mocks. */
async function freshAcquireDevice() {
  vi.resetModules();
  return (await import('../../src/backends/webgpu/device.js')).acquireDevice;
}

describe('device acquisition', () => {
  it('Node: a Dawn device, with the adapter described', async () => {
    const acquireDevice = await freshAcquireDevice();
    await testDevice(); // sets up the Vulkan driver path for this machine
    const { device, adapter } = await acquireDevice();
    expect(adapter).toMatchObject({ vendor: expect.any(String), architecture: expect.any(String), isFallbackAdapter: expect.any(Boolean) });
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    device.destroy();
  });

  it('a caller-supplied device is used as is', async () => {
    const acquireDevice = await freshAcquireDevice();
    const device = await testDevice();
    const acquired = await acquireDevice({ device });
    expect(acquired.device).toBe(device);
    expect(acquired.adapter).toBeUndefined();
    device.destroy();
  });

  it('NO_ADAPTER when navigator.gpu offers none', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    const acquireDevice = await freshAcquireDevice();
    await expect(acquireDevice()).rejects.toMatchObject({ name: 'TwnDeviceError', code: 'NO_ADAPTER' });
  });

  it('NO_WEBGPU without navigator.gpu and without the webgpu package', async () => {
    const holder = globalThis as unknown as Record<symbol, unknown>;
    const dawn = holder[DAWN_GPU_KEY];
    delete holder[DAWN_GPU_KEY];
    vi.doMock('webgpu', () => {
      throw new Error('Cannot find package "webgpu"');
    });
    try {
      const acquireDevice = await freshAcquireDevice();
      const error = await acquireDevice().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as TwnDeviceError).code).toBe('NO_WEBGPU');
    } finally {
      // Dawn's GPU object must stay referenced for the life of the process.
      holder[DAWN_GPU_KEY] = dawn;
    }
  });
});
