import { TwnDeviceError } from '../../errors.js';

export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
}

export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** Absent when the caller supplied the device. */
  readonly adapter?: AdapterSummary;
}

export interface AcquireOptions {
  /** Use this device as is (the caller owns it). */
  readonly device?: GPUDevice;
  readonly powerPreference?: GPUPowerPreference;
}

// Kept in a variable so bundlers do not try to resolve the Node-only package for browser builds.
const NODE_WEBGPU_PACKAGE = 'webgpu';
// Dawn's GPU object must outlive every adapter and device made from it, or the process crashes on collection.
// A global symbol (not a module variable) keeps it alive even when test runners re-evaluate this module.
const DAWN_GPU_KEY = Symbol.for('twn-webgpu.dawn-gpu');

const LIMITS_WORTH_RAISING = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

interface NodeWebGpuModule {
  create(flags: string[]): GPU;
}

async function findGpu(): Promise<GPU> {
  if (typeof navigator !== 'undefined' && navigator.gpu) return navigator.gpu;
  const holder = globalThis as unknown as Record<symbol, GPU | undefined>;
  const cached = holder[DAWN_GPU_KEY];
  if (cached) return cached;
  let dawn: NodeWebGpuModule;
  try {
    dawn = (await import(/* @vite-ignore */ NODE_WEBGPU_PACKAGE)) as NodeWebGpuModule;
  } catch (cause) {
    throw new TwnDeviceError(
      'NO_WEBGPU',
      `WebGPU is not available: no navigator.gpu, and the optional Node package "${NODE_WEBGPU_PACKAGE}" could not be loaded (${String(cause)})`,
    );
  }
  const gpu = dawn.create([]);
  holder[DAWN_GPU_KEY] = gpu;
  return gpu;
}

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; implementations differ in which one they expose.
  const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  const current = info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description || info.device,
    isFallbackAdapter: Boolean(current.isFallbackAdapter ?? legacy.isFallbackAdapter),
  };
}

/** A GPUDevice from the caller, from `navigator.gpu`, or in Node from the optional `webgpu` (Dawn) package. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  if (options.device) return { device: options.device };
  const gpu = await findGpu();
  const adapter = await gpu.requestAdapter(options.powerPreference ? { powerPreference: options.powerPreference } : undefined);
  if (!adapter) throw new TwnDeviceError('NO_ADAPTER', 'WebGPU is present but no GPU adapter is available');
  // Ask for the adapter's own limits: the defaults (e.g. 128 MiB storage bindings) are too small for large layers.
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_WORTH_RAISING) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (cause) {
    throw new TwnDeviceError('DEVICE_REQUEST_FAILED', `requestDevice failed: ${String(cause)}`);
  }
  return { device, adapter: summarizeAdapter(adapter) };
}
