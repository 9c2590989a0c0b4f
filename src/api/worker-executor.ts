import type { CpuKernels, FastCpuOptions, Precision, ThreadInfo } from '../backends/cpu-fast/options.js';
import { compileKernels, type CompiledKernels } from '../backends/cpu-fast/wasm/arena.js';
import { startHelperWorkers, type HelperWorker, type WakeWord } from '../backends/cpu-fast/wasm/threads.js';
import { TwnDeviceError } from '../errors.js';
import { reviveError, type SerializedError } from './errors.js';
import type { Graph } from '../graph/ir.js';
import type { Executor } from './executor.js';
// Inlined as a blob URL: the worker travels inside the library chunk, so consumers' bundlers need no URL handling.
import CpuWorker from './cpu-worker.ts?worker&inline';

export type WorkerRequest =
  | {
      readonly type: 'load';
      readonly id: number;
      readonly graph: Graph;
      readonly options: FastCpuOptions;
      /** The kernels compiled here for the worker's memory (shared: for helper threads), so it need not compile. */
      readonly kernels?: { readonly shared: boolean; readonly compiled: CompiledKernels };
    }
  | { readonly type: 'run'; readonly id: number; readonly input: Float32Array; readonly batch: number }
  /** Drops the model, its memory and its helper threads' work (they wait for the next load's start); no answer. */
  | { readonly type: 'unload' };

export type WorkerReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly output?: Float32Array;
      /** A run's input buffer, handed back for the next run's input (see createWorkerExecutor's run). */
      readonly input?: ArrayBuffer;
      readonly kernels?: CpuKernels;
      readonly precision?: Precision;
      readonly threads?: ThreadInfo;
      /** Where the page wakes the worker's helper threads as it posts a run (see createWorkerExecutor's run). */
      readonly wakeWord?: WakeWord;
      /** A Web Lock the worker holds for as long as it lives (see `watchLiveness`). */
      readonly livenessLock?: string;
    }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/**
 * A CPU worker and its helper threads, however far along: started ahead of a load (startCpuWorker), running a
 * model's executor, or idle after one (see `keepIdle`). It is told everything the worker sends through the two
 * callbacks its current holder sets, so that the listeners are added once per worker, not once per model.
 */
interface CpuWorkerHandle {
  readonly worker: Worker;
  /** Its helper threads (see helperWorkers). */
  helpers: readonly HelperWorker[];
  /** Why it failed or stopped, once it has. */
  failure?: string;
  /** The holder's handler of the worker's replies. */
  receive?: (reply: WorkerReply) => void;
  /** The holder's handler of the worker's failure (an error event, an unreadable message, or its end). */
  stopped?: (error: TwnDeviceError) => void;
  /** Whether its liveness lock (see watchLiveness) is watched already: once per worker. */
  watched?: boolean;
  /** Whether it has held a model before (its load may meet it stopped while idle). */
  served?: boolean;
  /** While idle, the timer that ends it. */
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** Workers started ahead of their load, each taken by the next createWorkerExecutor. */
const startedWorkers: CpuWorkerHandle[] = [];

/**
 * Workers whose model was disposed, without it (the worker dropped its memory), kept for the next load: a worker and
 * its helpers take 50-120 ms each to start in headless Chromium on the 2-core machine, about what loading VGG-7 ×0.5
 * takes once they are up. ONNX Runtime Web likewise keeps its WebAssembly threads for the page's life. At most
 * IDLE_WORKERS_KEPT, each for IDLE_WORKER_MS, then ended.
 */
const idleWorkers: CpuWorkerHandle[] = [];
const IDLE_WORKERS_KEPT = 1;
const IDLE_WORKER_MS = 30_000;

/** Request ids across every executor: a reused worker's late answer to a disposed model's run matches no new call. */
let nextRequestId = 0;

/** A new CPU worker, without helpers yet (addHelpersFor). */
function startWorker(): CpuWorkerHandle {
  const handle: CpuWorkerHandle = { worker: new CpuWorker({ name: 'twn-cpu' }), helpers: [] };
  const failed = (message: string) => {
    handle.failure ??= message;
    handle.stopped?.(new TwnDeviceError('WORKER_FAILED', `the CPU worker failed: ${message}`));
  };
  handle.worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => handle.receive?.(event.data));
  handle.worker.addEventListener('error', (event) => {
    event.preventDefault();
    failed(event.message || 'it did not start');
  });
  handle.worker.addEventListener('messageerror', () => failed('it sent a message that could not be read'));
  return handle;
}

function endWorker(handle: CpuWorkerHandle): void {
  clearTimeout(handle.idleTimer);
  handle.worker.terminate();
  for (const helper of handle.helpers) helper.terminate();
}

/** An idle worker, if one is kept and alive. */
function takeIdleWorker(): CpuWorkerHandle | undefined {
  for (let handle = idleWorkers.pop(); handle !== undefined; handle = idleWorkers.pop()) {
    clearTimeout(handle.idleTimer);
    if (handle.failure !== undefined) {
      endWorker(handle);
      continue;
    }
    return handle;
  }
  return undefined;
}

/**
 * Ends a model's hold on its worker: a live one drops the model (its memory and helpers' work) and is kept idle for the
 * next load; a failed one is ended.
 */
function release(handle: CpuWorkerHandle): void {
  if (handle.failure === undefined) handle.worker.postMessage({ type: 'unload' } satisfies WorkerRequest);
  keepIdle(handle);
}

/** Keeps a worker that holds no model for the next load (see idleWorkers), or ends it if it failed. */
function keepIdle(handle: CpuWorkerHandle): void {
  handle.receive = undefined;
  handle.stopped = undefined;
  if (handle.failure !== undefined) {
    endWorker(handle);
    return;
  }
  idleWorkers.push(handle);
  while (idleWorkers.length > IDLE_WORKERS_KEPT) endWorker(idleWorkers.shift()!);
  handle.idleTimer = setTimeout(() => {
    const index = idleWorkers.indexOf(handle);
    if (index >= 0) endWorker(idleWorkers.splice(index, 1)[0]!);
  }, IDLE_WORKER_MS);
}

/**
 * Readies a CPU worker now, for a load that will likely run in one: an idle one, or a new one, which takes 50–200 ms
 * to start and then overlaps this thread's parsing of the file. The next createWorkerExecutor takes it; `discard`
 * keeps it idle if none has.
 */
export function startCpuWorker(threads: number): { discard(): void } {
  void compileKernels(sharedMemory(threads)); // for kernelsForWorker, meanwhile
  const handle = takeIdleWorker() ?? startWorker();
  addHelpersFor(handle, threads); // booting meanwhile too
  startedWorkers.push(handle);
  return {
    discard() {
      const index = startedWorkers.indexOf(handle);
      if (index < 0) return;
      startedWorkers.splice(index, 1);
      keepIdle(handle);
    },
  };
}

/**
 * Runs the CPU backend in a dedicated module worker, which gets a structured-clone copy of the optimized graph (so the
 * file is parsed and validated once, on this thread). Disposed, it leaves the worker idle for the next load. A worker
 * that had served a model and stopped while idle fails the load it is given; the load then starts a new one.
 */
export async function createWorkerExecutor(graph: Graph, options: FastCpuOptions): Promise<Executor> {
  const handle = startedWorkers.shift() ?? takeIdleWorker() ?? startWorker();
  try {
    return await loadInWorker(handle, graph, options);
  } catch (error) {
    if (!handle.served || handle.failure === undefined) throw error;
    return loadInWorker(startWorker(), graph, options);
  }
}

async function loadInWorker(handle: CpuWorkerHandle, graph: Graph, options: FastCpuOptions): Promise<Executor> {
  const { worker } = handle;
  const threads = options.threads ?? 1;
  addHelpersFor(handle, threads);
  const helpers = handle.helpers.slice(0, threads - 1);
  type Answer = Extract<WorkerReply, { ok: true }>;
  const pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>();
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(failure);
    pending.clear();
  };
  handle.receive = (reply) => {
    const call = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) call?.resolve(reply);
    else call?.reject(reviveError(reply.error));
  };
  handle.stopped = fail;
  if (handle.failure !== undefined) fail(new TwnDeviceError('WORKER_FAILED', `the CPU worker failed: ${handle.failure}`));
  // Each message carries its own copy, transferred: the caller's arrays stay usable.
  const call = (request: Exclude<WorkerRequest, { type: 'unload' }>, transfer: Transferable[]) =>
    new Promise<Answer>((resolve, reject) => {
      if (failure) return reject(failure);
      pending.set(request.id, { resolve, reject });
      worker.postMessage(request, transfer);
    });
  let loaded: Answer;
  try {
    const kernels = await kernelsForWorker(options);
    // A port to each helper: the worker sends them their start (shared memory, kernels) through it.
    const ports = helpers.map((helper) => {
      const channel = new MessageChannel();
      helper.postMessage(channel.port2, [channel.port2]);
      return channel.port1;
    });
    const copy = graphToTransfer(graph);
    const load = { graph: copy.graph, options: { ...options, startedHelpers: ports }, kernels };
    loaded = await call({ type: 'load', id: nextRequestId++, ...load }, [...ports, ...copy.buffers]);
  } catch (error) {
    release(handle);
    throw error;
  }
  handle.served = true;
  // Views the worker's shared memory: dropped by dispose, so that an app still holding the disposed model does not keep
  // that memory alive.
  let wake = loaded.wakeWord && { words: new Int32Array(loaded.wakeWord.buffer), index: loaded.wakeWord.index };
  // The buffer the last run's input went to the worker in, which the worker hands back with the output: the next run
  // copies its input into it, not into a fresh array. In headless Chromium on the 2-core machine, copying ResNet-18
  // 224's input (600 KB) into a fresh array took 3.5 ms (its pages are new to the process each time), and a round
  // trip of a reused one 0.2 ms.
  let spare: ArrayBuffer | undefined;
  if (loaded.livenessLock !== undefined) watchLiveness(handle, loaded.livenessLock);
  return {
    thread: 'worker',
    ...(loaded.kernels && { kernels: loaded.kernels }),
    ...(loaded.precision && { precision: loaded.precision }),
    ...(loaded.threads && { threads: loaded.threads.threads }),
    ...(loaded.threads?.reason !== undefined && { threadsReason: loaded.threads.reason }),
    run: async (input, batch) => {
      // The helpers are woken here, by a thread that goes idle once it has posted the run, not by the worker as its
      // run starts: a thread that has slept a while is placed, as it wakes, on the core of the thread that woke it
      // (this project's VM), where it would wait until the kernel moves one of them. Two threads each running 8.8 ms
      // after 50 ms idle took 9.7-9.9 ms woken one by the other, 8.7 ms woken by a third that then blocked.
      if (wake) Atomics.notify(wake.words, wake.index);
      const buffer = spare !== undefined && spare.byteLength >= input.byteLength ? spare : new ArrayBuffer(input.byteLength);
      spare = undefined; // until it comes back: a run posted meanwhile copies into a fresh one
      const copy = new Float32Array(buffer, 0, input.length);
      copy.set(input);
      const answer = await call({ type: 'run', id: nextRequestId++, input: copy, batch }, [buffer]);
      spare = answer.input;
      return answer.output!;
    },
    dispose() {
      wake = undefined;
      spare = undefined;
      fail(new TwnDeviceError('DISPOSED', 'the model has been disposed'));
      release(handle);
    },
  };
}

/**
 * `graph` with copies of its tensors' data, whose buffers the load request transfers: the worker then takes them over
 * instead of decoding a copy of every tensor before its load can start, and this thread's graph stays whole (the
 * model's info reads its weights). In headless Chromium on the 2-core machine, a worker received 2.9 MB of tensors 32-43
 * ms after they were posted as a copy, 2.3-2.6 ms after they were transferred (medians of 9; the copies here took
 * 15-16 ms, the posting of a copy itself 18-28 ms).
 */
function graphToTransfer(graph: Graph): { graph: Graph; buffers: ArrayBuffer[] } {
  const tensors = new Map([...graph.tensors].map(([name, tensor]) => [name, { ...tensor, data: tensor.data.slice() }]));
  return { graph: { ...graph, tensors }, buffers: [...tensors.values()].map((tensor) => tensor.data.buffer) };
}

/**
 * The kernels the worker's arena will run, compiled by this thread while the worker starts (or taken from this
 * thread's cache), so that the worker's load need not wait for its own compilation. A shared memory where
 * helper threads will run (FastCpuExecutor: threads > 1, which needs cross-origin isolation). undefined where this
 * thread may not compile (a page policy): the worker then tries itself.
 */
async function kernelsForWorker(options: FastCpuOptions): Promise<{ shared: boolean; compiled: CompiledKernels } | undefined> {
  if (options.kernels === 'js') return undefined;
  const shared = sharedMemory(options.threads ?? 1);
  const compiled = await compileKernels(shared);
  return compiled && { shared, compiled };
}

/** Whether an executor of `threads` threads runs on a shared memory (which needs cross-origin isolation). */
const sharedMemory = (threads: number): boolean => threads > 1 && globalThis.crossOriginIsolated === true;

/**
 * `count` helper threads for a worker, started here with it: a worker's own helpers boot only between its tasks
 * (startHelperWorkers). None where helpers cannot share its memory (no cross-origin isolation): the worker then says
 * why it runs one thread.
 */
function helperWorkers(count: number): HelperWorker[] {
  if (count <= 0 || globalThis.crossOriginIsolated !== true) return [];
  try {
    return startHelperWorkers(count);
  } catch {
    return []; // the worker tries itself, and says why if it cannot
  }
}

/**
 * Makes up `handle`'s helpers to those a load of `threads` threads needs: any missing are started now. Those past it
 * (started for a guess of the threads before the file was read, or for an earlier model) stay idle with the worker,
 * for a later load: a small model runs one thread whatever was asked.
 */
function addHelpersFor(handle: CpuWorkerHandle, threads: number): void {
  handle.helpers = [...handle.helpers, ...helperWorkers(threads - 1 - handle.helpers.length)];
}

/**
 * A worker can stop without an `error` event (closed, or killed for memory), and its calls would then wait for ever.
 * It holds a Web Lock while it lives; our request for the same lock is granted only when it is gone, whichever way:
 * then its holder is told, if any (an idle worker is found failed when next taken). Once per worker, however many
 * models it runs in turn.
 */
function watchLiveness(handle: CpuWorkerHandle, lock: string): void {
  if (handle.watched) return;
  handle.watched = true;
  const stopped = 'the CPU worker stopped (closed, or ended by the browser, e.g. for memory)';
  const died = () => {
    handle.failure ??= stopped;
    handle.stopped?.(new TwnDeviceError('WORKER_FAILED', stopped));
  };
  void navigator.locks?.request(lock, died).catch(() => undefined);
}
