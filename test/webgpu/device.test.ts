import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('Linux without a Vulkan driver: NO_ADAPTER naming VK_ICD_FILENAMES, before Dawn (and its warnings)', async () => {
    const holder = globalThis as unknown as Record<symbol, unknown>;
    const dawn = holder[DAWN_GPU_KEY];
    delete holder[DAWN_GPU_KEY];
    const create = vi.fn();
    vi.doMock('webgpu', () => ({ create }));
    const empty = mkdtempSync(join(tmpdir(), 'twn-no-vulkan-'));
    const saved = { ...process.env };
    try {
      for (const name of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES']) delete process.env[name];
      const searched = ['HOME', 'XDG_CONFIG_DIRS', 'XDG_DATA_DIRS', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME'];
      for (const name of searched) process.env[name] = empty;
      const acquireDevice = await freshAcquireDevice();
      // /etc/vulkan/icd.d is searched too: where this machine has a driver there, Dawn is (rightly) tried.
      const systemDriver = (() => {
        try {
          return readdirSync('/etc/vulkan/icd.d').some((name) => name.endsWith('.json'));
        } catch {
          return false;
        }
      })();
      if (process.platform !== 'linux' || systemDriver) return;
      const error = await acquireDevice().catch((e: unknown) => e);
      const message = expect.stringMatching(/no Vulkan driver.*VK_ICD_FILENAMES/);
      expect(error).toMatchObject({ name: 'TwnDeviceError', code: 'NO_ADAPTER', message });
      expect(create).not.toHaveBeenCalled();
    } finally {
      process.env = saved;
      rmSync(empty, { recursive: true, force: true });
      holder[DAWN_GPU_KEY] = dawn;
    }
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
