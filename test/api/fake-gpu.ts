import { vi } from 'vitest';

export interface FakeAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** A `navigator.gpu` stand-in: one adapter (or none) whose devices record `destroy()`; `limits` are the device's. */
export function fakeGpu(info: FakeAdapterInfo | null, limits: Record<string, number> = {}) {
  const devices: { destroy: ReturnType<typeof vi.fn>; limits: Record<string, number> }[] = [];
  const adapter = info && {
    info: { vendor: '', architecture: '', device: '', description: '', ...info },
    limits: { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 28, maxStorageBuffersPerShaderStage: 8, maxComputeWorkgroupsPerDimension: 65535 },
    requestDevice: vi.fn(async () => {
      const device = { destroy: vi.fn(), lost: new Promise(() => undefined), limits };
      devices.push(device);
      return device;
    }),
  };
  return { gpu: { requestAdapter: vi.fn(async () => adapter) }, devices };
}
