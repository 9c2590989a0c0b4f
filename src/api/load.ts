import { readTwnFile } from '../format/reader.js';
import { graphFromFile } from '../graph/from-file.js';
import { optimize } from '../graph/passes/optimize.js';
import { TwnDeviceError, TwnInputError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { chooseBackend, type BackendChoice, type BackendOptions } from './backend.js';
import { throwIfAborted } from './errors.js';
import { createExecutor, defaultThreads, workersAvailable, type Executor, type ExecutorOptions } from './executor.js';
import { describeModel, type RunningBackend } from './info.js';
import { checkPrecision, int16Declined, precisionInfo } from './precision.js';
import { TwnModel } from './model.js';
import { readModelSource, type ModelSource, type ReadSourceOptions } from './source.js';
import type { ImageDecoder } from './decode.js';
import { isLocalFile, readLocalFile } from './local-file.js';
import { cacheAvailable, readThroughCache, type CachedBytes, type CacheOptions } from './model-cache.js';

export interface LoadOptions extends BackendOptions, ReadSourceOptions, CacheOptions {
  /**
   * Decodes PNG/JPEG bytes handed to `classify`. Browsers need none (they decode natively); `loadModel` from
   * `twn-webgpu/node` sets one.
   */
  imageDecoder?: ImageDecoder;
  /**
   * Most bytes of activations one run may use (float32, all of the plan's buffers; default 2 GiB). A larger batch is
   * refused by `run`/`classify` with TwnInputError RUN_TOO_LARGE before anything is allocated.
   */
  maxRunBytes?: number;
}

/**
 * The most CPU threads a model may ask for: each is a worker with its own copy of the kernels, and past the cores a
 * machine has they only take turns.
 */
const MAX_THREADS = 64;

/**
 * Loads a `.twn` model and prepares it on a backend. In Node a string that is no http(s) URL is a file path. The file
 * is validated in full (docs/FORMAT.md §8) before any GPU work starts, so a bad file fails fast with a TwnFormatError.
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<TwnModel> {
  const { maxRunBytes } = options;
  if (maxRunBytes !== undefined && !(Number.isSafeInteger(maxRunBytes) && maxRunBytes > 0)) {
    throw new TwnInputError('BAD_OPTIONS', `maxRunBytes must be a positive integer, got ${String(maxRunBytes)}`);
  }
  const { threads } = options;
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new TwnInputError(
      'BAD_OPTIONS',
      `threads must be an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`,
    );
  }
  // The CPU worker starts as soon as the file's size is known: from a download's Content-Length, its start overlaps
  // the rest of the download.
  let early: Promise<{ discard(): void } | undefined> | undefined;
  const startEarly = (fileBytes: number) => (early ??= startWorkerEarly(fileBytes, options));
  const onProgress = (loadedBytes: number, totalBytes: number | undefined) => {
    if (totalBytes !== undefined) void startEarly(totalBytes);
    options.onProgress?.(loadedBytes, totalBytes);
  };
  try {
    let { bytes, evict } = await readBytes(source, { ...options, onProgress });
    await startEarly(bytes.byteLength);
    let graph: Graph;
    try {
      graph = graphFromFile(readTwnFile(bytes));
    } catch (error) {
      // A stored copy that no longer validates (a damaged disk cache) is dropped and the file downloaded afresh.
      if (!evict) throw error;
      await evict();
      ({ bytes, evict } = await readBytes(source, { ...options, onProgress }));
      graph = graphFromFile(readTwnFile(bytes));
    }
    throwIfAborted(options.signal);
    const precision = checkPrecision(options.precision);
    const executorOptions = {
      cpuWorker: options.cpuWorker,
      maxRunBytes,
      threads,
      precision: precision === 'int16' && int16Declined(graph) === undefined ? precision : 'float32',
    } as const;
    const { choice, executor } = await prepare(optimize(graph), await chooseBackend(options), executorOptions);
    if (options.signal?.aborted) {
      executor.dispose();
      throwIfAborted(options.signal);
    }
    const running = precisionInfo(precision, graph, choice.kind, executor.precision);
    const info = describeModel(graph, bytes.byteLength, { ...backendInfo(choice, executor), ...running });
    return new TwnModel(graph, info, executor, options.imageDecoder);
  } finally {
    (await early)?.discard(); // unless the CPU worker executor took it
  }
}

/**
 * Files from this size hold models that run in the CPU worker by default (page-thread.ts: over 40 M multiply-adds per
 * image): 512 KiB of 2-bit codes are 2 M ternary weights, which convolutions apply at many positions each (VGG-7 ×0.5:
 * 830 KB, 150 M). A float file this size may be a small model (LeNet-5 float: 2.3 MB, 4 M): its worker is ended unused.
 */
const EARLY_WORKER_MIN_BYTES = 512 * 1024;

/**
 * Starts the CPU worker before the file is parsed when this load will likely run in it: the CPU backend is certain
 * (asked for, or no WebGPU here) and the worker is asked for or the file is large (EARLY_WORKER_MIN_BYTES).
 */
async function startWorkerEarly(fileBytes: number, options: LoadOptions): Promise<{ discard(): void } | undefined> {
  const requested = options.backend ?? 'auto';
  const gpu = typeof navigator !== 'undefined' && 'gpu' in navigator;
  const cpuCertain = requested === 'cpu' || (requested === 'auto' && options.device === undefined && !gpu);
  const likely = options.cpuWorker === true || (options.cpuWorker === undefined && fileBytes >= EARLY_WORKER_MIN_BYTES);
  if (!cpuCertain || !likely || !workersAvailable()) return undefined;
  try {
    // As many threads as the executor will ask for, so that the page starts their helpers with the worker.
    const threads = options.threads ?? (await defaultThreads());
    return (await import('./worker-executor.js')).startCpuWorker(threads);
  } catch {
    return undefined; // the executor tries again, and says why it runs on this thread if it must
  }
}

async function readBytes(source: ModelSource, options: LoadOptions): Promise<CachedBytes> {
  if (isLocalFile(source)) return { bytes: await readLocalFile(source, options) };
  const isUrl = typeof source === 'string' || source instanceof URL;
  if (isUrl && options.persistentCache && cacheAvailable()) {
    return readThroughCache(source, options.persistentCache, options);
  }
  return { bytes: await readModelSource(source, options) };
}

function backendInfo(choice: BackendChoice, executor: Executor): Omit<RunningBackend, 'precision'> {
  const { kind, requested, reason, adapter } = choice;
  const { thread, threadReason, kernels, threads, threadsReason } = executor;
  return {
    kind,
    requested,
    reason,
    ...(adapter && { adapter }),
    thread,
    ...(threadReason !== undefined && { threadReason }),
    ...(kernels && { kernels }),
    ...(threads !== undefined && { threads }),
    ...(threadsReason !== undefined && { threadsReason }),
  };
}

/** Under 'auto', a graph the GPU cannot take (a device limit, say) still runs, on the CPU, and says why. */
async function prepare(
  graph: Graph,
  choice: BackendChoice,
  options: ExecutorOptions,
): Promise<{ choice: BackendChoice; executor: Executor }> {
  try {
    return { choice, executor: await createExecutor(graph, choice, options) };
  } catch (error) {
    if (choice.ownsDevice) choice.device?.destroy();
    if (choice.kind !== 'webgpu' || choice.requested !== 'auto' || !(error instanceof TwnDeviceError)) throw error;
    const fallback: BackendChoice = {
      ...choice,
      kind: 'cpu',
      device: undefined,
      ownsDevice: false,
      reason: `WebGPU cannot run this model (${error.message})`,
    };
    return { choice: fallback, executor: await createExecutor(graph, fallback, options) };
  }
}
