import { afterEach, describe, expect, it, vi } from 'vitest';
import { chooseBackend } from '../../src/api/backend.js';
import { TwnDeviceError } from '../../src/errors.js';
import { fakeGpu } from './fake-gpu.js';

function installGpu(gpu: unknown): void {
  vi.stubGlobal('navigator', { gpu });
}

describe('chooseBackend', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('takes WebGPU on a hardware adapter under auto', async () => {
    const { gpu } = fakeGpu({ vendor: 'nvidia', architecture: 'ampere', description: 'RTX 3060' });
    installGpu(gpu);
    const choice = await chooseBackend({});
    expect(choice.kind).toBe('webgpu');
    expect(choice.ownsDevice).toBe(true);
    expect(choice.adapter).toMatchObject({ vendor: 'nvidia', isSoftware: false });
    expect(choice.reason).toMatch(/hardware/);
  });

  it('passes over a fallback adapter for the CPU under auto, and frees the device it tried', async () => {
    const { gpu, devices } = fakeGpu({ vendor: 'acme', isFallbackAdapter: true });
    installGpu(gpu);
    const choice = await chooseBackend({ backend: 'auto' });
    expect(choice.kind).toBe('cpu');
    expect(choice.adapter?.isSoftware).toBe(true);
    expect(choice.reason).toMatch(/software/);
    expect(devices.every((device) => device.destroy.mock.calls.length === 1)).toBe(true);
  });

  it('recognises SwiftShader by name even when it is not flagged as fallback', async () => {
    installGpu(fakeGpu({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }).gpu);
    expect((await chooseBackend({})).kind).toBe('cpu');
  });

  it('uses a software adapter when WebGPU is requested explicitly', async () => {
    installGpu(fakeGpu({ vendor: 'google', architecture: 'swiftshader' }).gpu);
    const choice = await chooseBackend({ backend: 'webgpu' });
    expect(choice.kind).toBe('webgpu');
    expect(choice.adapter?.isSoftware).toBe(true);
  });

  it('falls back to the CPU when there is no adapter', async () => {
    installGpu(fakeGpu(null).gpu);
    const choice = await chooseBackend({ backend: 'auto' });
    expect(choice.kind).toBe('cpu');
    expect(choice.reason).toMatch(/no GPU adapter/i);
  });

  it('throws TwnDeviceError when WebGPU is requested and there is no adapter', async () => {
    installGpu(fakeGpu(null).gpu);
    await expect(chooseBackend({ backend: 'webgpu' })).rejects.toMatchObject({ name: 'TwnDeviceError', code: 'NO_ADAPTER' });
    await expect(chooseBackend({ backend: 'webgpu' })).rejects.toBeInstanceOf(TwnDeviceError);
  });

  it('honours cpu without touching WebGPU', async () => {
    const { gpu } = fakeGpu({ vendor: 'nvidia' });
    installGpu(gpu);
    expect((await chooseBackend({ backend: 'cpu' })).kind).toBe('cpu');
    expect(gpu.requestAdapter).not.toHaveBeenCalled();
  });

  it("uses a caller's device and never owns it", async () => {
    const device = {
      adapterInfo: { vendor: 'apple', architecture: 'metal-3', device: '', description: 'M2' },
      destroy: vi.fn(),
      lost: new Promise(() => undefined),
    };
    const choice = await chooseBackend({ device: device as unknown as GPUDevice });
    expect(choice).toMatchObject({ kind: 'webgpu', ownsDevice: false, adapter: { vendor: 'apple', description: 'M2' } });
  });

  it("refuses a caller's device that is already lost (DEVICE_LOST), under every backend but 'cpu'", async () => {
    const lost = Promise.resolve({ reason: 'destroyed', message: 'gone' });
    const adapterInfo = { vendor: 'apple', architecture: '', device: '', description: '' };
    const device = { adapterInfo, destroy: vi.fn(), lost } as unknown as GPUDevice;
    for (const backend of ['auto', 'webgpu'] as const) {
      await expect(chooseBackend({ device, backend })).rejects.toMatchObject({
        name: 'TwnDeviceError',
        code: 'DEVICE_LOST',
        message: expect.stringMatching(/destroyed: gone/),
      });
    }
    expect((await chooseBackend({ device, backend: 'cpu' })).kind).toBe('cpu');
  });

  it('rejects an unknown backend name', async () => {
    await expect(chooseBackend({ backend: 'metal' as 'cpu' })).rejects.toMatchObject({ code: 'BAD_BACKEND' });
  });
});
