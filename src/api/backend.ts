import type { Precision } from '../backends/cpu-fast/options.js';
import { TwnDeviceError } from '../errors.js';
import {
  acquireDevice,
  deviceLossInfo,
  deviceLostError,
  lossWithin,
  type AdapterSummary,
} from '../backends/webgpu/device.js';

export type BackendRequest = 'auto' | 'webgpu' | 'cpu';
export type BackendKind = 'webgpu' | 'cpu';
/** Where a loaded model's work runs: the CPU backend in a dedicated Web Worker, or the calling thread. */
export type ExecutionThread = 'worker' | 'main';

// Declared here in full, not as an extension of the device module's AdapterSummary, so the published declarations
// stay self-contained (that module's types name WebGPU's, which a consumer's TypeScript may not have).
declare global {
  /** Merges with WebGPU's GPUDevice where its types are present; keeps the name resolvable where they are not. */
  interface GPUDevice {}
}

export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** The adapter says it is a fallback (software) one. */
  readonly isFallbackAdapter: boolean;
  /** vendor · architecture · description, for display. */
  readonly name: string;
  /** The browser's fallback adapter or SwiftShader: correct, but far slower than the CPU backend for these nets. */
  readonly isSoftware: boolean;
}

/** Which backend runs the model, and why: shown to users so a slow or unexpected choice explains itself. */
export interface BackendInfo {
  readonly kind: BackendKind;
  readonly requested: BackendRequest;
  readonly reason: string;
  /** The adapter in use, or the one passed over for the CPU; absent when none was found or it does not say. */
  readonly adapter?: AdapterDescription;
}

export interface BackendChoice extends BackendInfo {
  /** Set when kind is 'webgpu'. */
  readonly device?: GPUDevice;
  /** The device was created here, so disposing the model destroys it; a caller's device is left alone. */
  readonly ownsDevice: boolean;
}

export interface BackendOptions {
  backend?: BackendRequest;
  /** A device the caller already holds: used as is, never destroyed by the model. */
  device?: GPUDevice;
  /**
   * true: run the CPU backend in a dedicated Web Worker, so classification never blocks the page; false: on the
   * calling thread. Default: the calling thread for runs of under 40 M multiply-adds (LeNet-5 up to 9 images, about
   * 3 ms on one core), where the worker's two message hand-offs would cost about as much as the run, the worker for
   * longer ones; `info.backend.threadReason` says which and why. Ignored where there are no workers, and in Node,
   * where the CPU backend runs on the calling thread.
   */
  cpuWorker?: boolean;
  /**
   * CPU backend: threads to split each layer over (default: the hardware's, at most 4). More than one needs a thread
   * that may block (the CPU worker, or Node) and, in a browser, a cross-origin isolated page (headers
   * `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy: require-corp`); otherwise one thread
   * runs and `info.backend.threadsReason` says why. An integer from 1 to 64, else TwnInputError BAD_OPTIONS.
   */
  threads?: number;
  /**
   * 'int16': the CPU backend sums int16 codes of the activations entering each ternary layer, with the ranges the
   * file was calibrated with (docs/FORMAT.md §7.1). Offered only where the file has a range for every ternary layer
   * and states no top-1 loss over 0.1 points, on WebAssembly SIMD; otherwise float32 runs and
   * `info.backend.precisionReason` says why. Default 'float32'.
   */
  precision?: Precision;
}

/**
 * Picks the backend. 'auto' takes WebGPU only on a hardware adapter: software rasterisers (SwiftShader) run these
 * networks 50-180× slower than the CPU backend, so there the CPU wins.
 */
export async function chooseBackend(options: BackendOptions): Promise<BackendChoice> {
  const requested = options.backend ?? 'auto';
  if (requested !== 'auto' && requested !== 'webgpu' && requested !== 'cpu') {
    throw new TwnDeviceError('BAD_BACKEND', `backend must be 'auto', 'webgpu' or 'cpu', not ${JSON.stringify(requested)}`);
  }
  if (requested === 'cpu') return cpu(requested, 'CPU backend requested');
  if (options.device) {
    // A device lost before the load would otherwise compile without complaint and fail only at the first run.
    const lost = deviceLossInfo(options.device) ?? (await lossWithin(options.device, 0));
    if (lost !== undefined) throw deviceLostError(lost);
    const adapter = options.device.adapterInfo ? describeInfo(options.device.adapterInfo) : undefined;
    return { kind: 'webgpu', requested, reason: 'GPUDevice supplied by the caller', adapter, device: options.device, ownsDevice: false };
  }
  let acquired;
  try {
    acquired = await acquireDevice({ powerPreference: 'high-performance' });
  } catch (error) {
    if (requested === 'auto' && error instanceof TwnDeviceError) return cpu(requested, `WebGPU unavailable: ${error.message}`);
    throw error;
  }
  const adapter = acquired.adapter && withSoftwareFlag(acquired.adapter);
  if (requested === 'auto' && adapter?.isSoftware) {
    acquired.device.destroy();
    return cpu(requested, `the only WebGPU adapter is a software one (${adapter.name}), slower than the CPU backend`, adapter);
  }
  const reason = requested === 'webgpu' ? 'WebGPU backend requested' : 'hardware WebGPU adapter found';
  return { kind: 'webgpu', requested, reason, adapter, device: acquired.device, ownsDevice: true };
}

function cpu(requested: BackendRequest, reason: string, adapter?: AdapterDescription): BackendChoice {
  return { kind: 'cpu', requested, reason, adapter, ownsDevice: false };
}

function withSoftwareFlag(adapter: AdapterSummary): AdapterDescription {
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter((part) => part !== '').join(' · ') || 'unnamed adapter';
  return { ...adapter, name, isSoftware: adapter.isFallbackAdapter || /swiftshader/i.test(name) };
}

function describeInfo(info: GPUAdapterInfo): AdapterDescription {
  const isFallbackAdapter = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return withSoftwareFlag({ vendor: info.vendor, architecture: info.architecture, description: info.description || info.device, isFallbackAdapter });
}
