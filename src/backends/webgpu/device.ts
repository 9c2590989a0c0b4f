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
const NODE_FS = 'node:fs/promises';
/** Where Debian's Chromium puts its software Vulkan driver (SwiftShader), which Dawn can use too. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
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
  const missing = await missingVulkanDriver();
  if (missing !== undefined) throw new TwnDeviceError('NO_ADAPTER', missing);
  const gpu = dawn.create([]);
  holder[DAWN_GPU_KEY] = gpu;
  return gpu;
}

/** The Vulkan loader's own search path for driver manifests (ICDs) on Linux, when no environment variable names one. */
function vulkanManifestDirectories(env: Record<string, string | undefined>): string[] {
  const home = env.HOME ?? '';
  const configDirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':');
  const dataDirs = (env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':');
  const configHome = env.XDG_CONFIG_HOME || `${home}/.config`;
  const dataHome = env.XDG_DATA_HOME || `${home}/.local/share`;
  return [configHome, ...configDirs, '/etc', dataHome, ...dataDirs].map((dir) => `${dir}/vulkan/icd.d`);
}

/**
 * On Linux, Dawn reaches the GPU through Vulkan, and without a Vulkan driver it prints three warning lines to stderr
 * before it finds no adapter. Looking for a driver manifest first keeps 'auto' quiet on such machines, and says
 * what to do. Undefined when a driver may be present (or on other systems); otherwise the reason there is none.
 */
async function missingVulkanDriver(): Promise<string | undefined> {
  type NodeProcess = { platform?: string; env?: Record<string, string | undefined> };
  const nodeProcess = (globalThis as { process?: NodeProcess }).process;
  if (nodeProcess?.platform !== 'linux' || nodeProcess.env === undefined) return undefined;
  const env = nodeProcess.env;
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES) return undefined;
  const fs = (await import(/* @vite-ignore */ NODE_FS)) as typeof import('node:fs/promises');
  const directories = vulkanManifestDirectories(env);
  for (const directory of directories) {
    const entries = await fs.readdir(directory).catch(() => [] as string[]);
    if (entries.some((name) => name.endsWith('.json'))) return undefined;
  }
  return `no Vulkan driver found (no manifest in */vulkan/icd.d); set VK_ICD_FILENAMES, e.g. ${SWIFTSHADER_ICD}`;
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

/** Told once when the device it watches is lost. */
export interface DeviceLossListener {
  deviceLost(info: GPUDeviceLostInfo): void;
}

interface LossWatch {
  info: GPUDeviceLostInfo | undefined;
  /** Weak, so that a model the app dropped without disposing it is not kept alive by its device either. */
  readonly listeners: Set<WeakRef<DeviceLossListener>>;
}

const lossWatches = new WeakMap<GPUDevice, LossWatch>();

/**
 * The one reaction this library adds to a device's `lost` promise, shared by every model on the device. A reaction per
 * model would close over it and keep it reachable from a caller's device long after `dispose`.
 */
function lossWatch(device: GPUDevice): LossWatch {
  let watch = lossWatches.get(device);
  if (watch === undefined) {
    const created: LossWatch = { info: undefined, listeners: new Set() };
    void device.lost.then((info) => {
      created.info = info;
      for (const listener of created.listeners) listener.deref()?.deviceLost(info);
      created.listeners.clear();
    });
    lossWatches.set(device, created);
    watch = created;
  }
  return watch;
}

/** How the device was lost, once its `lost` promise has settled; undefined while it is usable. */
export function deviceLossInfo(device: GPUDevice): GPUDeviceLostInfo | undefined {
  return lossWatch(device).info;
}

/**
 * Tells `listener` when `device` is lost; the returned function stops that (call it on dispose). The device holds
 * the listener only weakly.
 */
export function watchDeviceLoss(device: GPUDevice, listener: DeviceLossListener): () => void {
  const { listeners } = lossWatch(device);
  for (const entry of listeners) if (entry.deref() === undefined) listeners.delete(entry);
  const entry = new WeakRef(listener);
  listeners.add(entry);
  return () => listeners.delete(entry);
}

/**
 * Resolves with the loss info if `device` is lost within `ms`, else with undefined. Browsers may reject a pending
 * `mapAsync` with an AbortError a task before `lost` settles; this tells that apart from other failures.
 */
export function lossWithin(device: GPUDevice, ms: number): Promise<GPUDeviceLostInfo | undefined> {
  const known = deviceLossInfo(device);
  if (known !== undefined) return Promise.resolve(known);
  return new Promise((resolve) => {
    // The timer holds the waiter until it fires or is cleared; the device holds it only weakly.
    const waiter = {
      deviceLost: (info: GPUDeviceLostInfo) => waiter.finish(info),
      finish(info: GPUDeviceLostInfo | undefined): void {
        clearTimeout(timer);
        unwatch();
        resolve(info);
      },
    };
    const unwatch = watchDeviceLoss(device, waiter);
    const timer = setTimeout(() => waiter.finish(undefined), ms);
  });
}

/** The error every call on a lost device gets. */
export function deviceLostError(info: GPUDeviceLostInfo | undefined): TwnDeviceError {
  const how = `${info?.reason ?? 'unknown'}${info?.message ? `: ${info.message}` : ''}`;
  return new TwnDeviceError('DEVICE_LOST', `the GPU device was lost (${how}); load the model again on a new device`);
}
