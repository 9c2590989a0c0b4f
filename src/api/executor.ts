import { FastCpuExecutor, multiplyAddsPerImage, threadsPayOff } from '../backends/cpu-fast/index.js';
import type { CpuKernels, FastCpuOptions, Precision } from '../backends/cpu-fast/options.js';
import { TwnDeviceError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import type { WebGpuModel } from '../backends/webgpu/executor.js';
import type { BackendChoice, ExecutionThread } from './backend.js';
import { pageThreadBatch, routedExecutor } from './page-thread.js';

/** What the model needs from a backend: run a batch to the graph's output, and free everything. */
export interface Executor {
  /** Where the work runs: the CPU backend in a Web Worker, or this thread. */
  readonly thread: ExecutionThread;
  /** CPU only: why it runs there (options.cpuWorker, the run's size, the environment). */
  readonly threadReason?: string;
  /** The CPU backend's inner loops and threads (absent on WebGPU), and why fewer threads run than were asked for. */
  readonly kernels?: CpuKernels;
  readonly threads?: number;
  readonly threadsReason?: string;
  /** CPU only: the precision the kernels run (int16 only where asked for and WebAssembly SIMD runs). */
  readonly precision?: Precision;
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): void;
}

export interface ExecutorOptions {
  /**
   * true: the CPU backend runs in a Web Worker where there is one (never in Node); false: on this thread; default:
   * this thread for short runs (page-thread.ts), the worker otherwise.
   */
  readonly cpuWorker?: boolean;
  /** Each backend refuses a run whose activations need more bytes (plan.ts DEFAULT_MAX_RUN_BYTES when absent). */
  readonly maxRunBytes?: number;
  /** CPU backend threads (backend.ts BackendOptions.threads); default: defaultThreads(). */
  readonly threads?: number;
  /** CPU backend: 'int16' once the file is known to offer it (precision.ts); default 'float32'. */
  readonly precision?: Precision;
}

/** Threads the CPU backend uses unless told otherwise: the hardware's, at most this many. */
const MAX_DEFAULT_THREADS = 4;

export async function defaultThreads(): Promise<number> {
  let hardware = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  if (hardware === undefined && (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node) {
    // Node 20 has no navigator. A variable specifier keeps bundlers from resolving a Node built-in for browsers.
    const specifier = 'node:os';
    hardware = ((await import(/* @vite-ignore */ specifier)) as typeof import('node:os')).availableParallelism();
  }
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, hardware ?? 1));
}

/** `graph` is already optimized. */
export async function createExecutor(graph: Graph, choice: BackendChoice, options: ExecutorOptions): Promise<Executor> {
  if (choice.kind === 'cpu' || !choice.device) {
    const requested = options.threads ?? (await defaultThreads());
    // A small model runs on one thread whatever was asked: helpers would only add hand-off time.
    if (requested > 1 && !threadsPayOff(graph)) {
      const single = await createExecutor(graph, choice, { ...options, threads: 1 });
      return { ...single, threadsReason: 'the model is too small for threads to pay off (under 5 M multiply-adds per image)' };
    }
    return cpuBackend(graph, { maxRunBytes: options.maxRunBytes, threads: requested, precision: options.precision }, options.cpuWorker);
  }
  const device = choice.device;
  // Loaded on demand so CPU-only pages never fetch the kernels and their shaders.
  const { compileWebGpu } = await import('../backends/webgpu/index.js');
  let compiled: WebGpuModel | undefined = await compileWebGpu(graph, device, { maxRunBytes: options.maxRunBytes });
  const output = outputName(graph);
  return {
    thread: 'main',
    // The graph reader guarantees every listed output is produced (BAD_OUTPUT otherwise).
    run: async (input, batch) => (await live(compiled).run(input, batch)).get(output)!,
    dispose() {
      compiled?.dispose();
      // Dropped, so that a disposed model the app still holds keeps no pipelines or graph alive.
      compiled = undefined;
      if (choice.ownsDevice) device.destroy();
    },
  };
}

function live<T>(backend: T | undefined): T {
  if (backend === undefined) throw new TwnDeviceError('DISPOSED', 'the model has been disposed');
  return backend;
}

/** The model's one result: its first output (the logits). */
function outputName(graph: Graph): string {
  return graph.outputs[0] ?? '';
}

/** The float32 CPU backend (the float64 one is the reference for tests, not for users); it caches plans per batch. */
async function cpuExecutor(graph: Graph, options: FastCpuOptions): Promise<Executor> {
  let cpu: FastCpuExecutor | undefined = new FastCpuExecutor(options);
  cpu.prepare(graph, 1); // batch 1 bound while helper threads start
  // Not waiting for the helpers to boot: each joins the runs when it is ready (the first may start without them).
  const { threads, reason } = await cpu.threadsPlanned();
  const output = outputName(graph);
  return {
    thread: 'main',
    kernels: cpu.kernels,
    precision: cpu.precision,
    threads,
    ...(reason !== undefined && { threadsReason: reason }),
    run: async (input, batch) => live(cpu).run(graph, input, batch).get(output)!.data,
    // Only ordinary arrays and a WebAssembly memory: dropped here, so the collector takes them even while the app
    // still holds the disposed model.
    dispose: () => {
      cpu?.dispose(); // its helper threads
      cpu = undefined;
    },
  };
}

/** The CPU backend where `cpuWorker` says, or by default where a run of the model's size is best off. */
async function cpuBackend(graph: Graph, options: FastCpuOptions, cpuWorker: boolean | undefined): Promise<Executor> {
  const here = async (threadReason: string) => ({ ...(await cpuExecutor(graph, options)), threadReason });
  if (!workersAvailable()) return here('no Web Workers here (Node): the calling thread');
  if (cpuWorker === false) return here('cpuWorker: false');
  if (cpuWorker === true) return workerOrPage(graph, options, 'cpuWorker: true');
  const perImage = multiplyAddsPerImage(graph);
  const maxPageBatch = pageThreadBatch(perImage);
  const work = `${(perImage / 1e6).toPrecision(2)} M multiply-adds per image`;
  if (maxPageBatch === 0) return workerOrPage(graph, options, `${work}: long runs, kept off the page's thread`);
  const reason =
    `${work}: runs of up to ${maxPageBatch} images are short (the Web Worker's message hand-offs would cost about ` +
    'as much), so they run on the calling thread; larger batches run in the worker';
  return routedExecutor(await cpuExecutor(graph, options), maxPageBatch, () => workerOrPage(graph, options, reason), reason);
}

/** The CPU backend in a Web Worker, or on this thread if the environment will not start one. */
async function workerOrPage(graph: Graph, options: FastCpuOptions, threadReason: string): Promise<Executor> {
  try {
    // Loaded on demand, like the GPU kernels: Node never evaluates the inlined worker.
    const { createWorkerExecutor } = await import('./worker-executor.js');
    return { ...(await createWorkerExecutor(graph, options)), threadReason };
  } catch (error) {
    // The file was validated on this thread already, so a failure here is the environment's (a CSP that forbids
    // blob: workers, say): the model still runs, on this thread, and model.info.backend says why.
    const why = error instanceof Error ? error.message : String(error);
    return { ...(await cpuExecutor(graph, options)), threadReason: `the Web Worker could not start (${why})` };
  }
}

/** A browser (or any non-Node runtime) with dedicated workers. */
export function workersAvailable(): boolean {
  const isNode = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;
  return typeof Worker !== 'undefined' && !isNode;
}
