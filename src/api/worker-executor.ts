import type { CpuKernels, FastCpuOptions, Precision, ThreadInfo } from '../backends/cpu-fast/options.js';
import { compiledKernels, type CompiledKernels } from '../backends/cpu-fast/wasm/arena.js';
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
  | { readonly type: 'run'; readonly id: number; readonly input: Float32Array; readonly batch: number };

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

/** A worker started before its model was read (startCpuWorker), and why it failed to start if it did. */
interface StartedWorker {
  readonly worker: Worker;
  /** Its helper threads (see helperWorkers). */
  readonly helpers: readonly HelperWorker[];
  failure?: string;
}

/** Workers started ahead of their load, each taken by the next createWorkerExecutor. */
const startedWorkers: StartedWorker[] = [];

/**
 * Starts a CPU worker now, for a load that will likely run in one: a worker takes 50–200 ms to start, which then
 * overlaps this thread's parsing of the file. The next createWorkerExecutor takes it; `discard` ends it if none has.
 */
export function startCpuWorker(threads: number): { discard(): void } {
  const started: StartedWorker = { worker: new CpuWorker({ name: 'twn-cpu' }), helpers: helperWorkers(threads - 1) };
  // Until an executor takes it, a failed start is only noted (the executor then fails its load with it).
  started.worker.addEventListener('error', (event) => {
    event.preventDefault();
    started.failure ??= event.message || 'it did not start';
  });
  startedWorkers.push(started);
  return {
    discard() {
      const index = startedWorkers.indexOf(started);
      if (index < 0) return;
      startedWorkers.splice(index, 1);
      started.worker.terminate();
      for (const helper of started.helpers) helper.terminate();
    },
  };
}

/**
 * Runs the CPU backend in a dedicated module worker, which gets a structured-clone copy of the optimized graph (so the
 * file is parsed and validated once, on this thread).
 */
export async function createWorkerExecutor(graph: Graph, options: FastCpuOptions): Promise<Executor> {
  const started = startedWorkers.shift();
  const worker = started?.worker ?? new CpuWorker({ name: 'twn-cpu' });
  const helpers = helpersForThreads(started?.helpers ?? [], options.threads ?? 1);
  const terminate = () => {
    worker.terminate();
    for (const helper of helpers) helper.terminate();
  };
  type Answer = Extract<WorkerReply, { ok: true }>;
  const pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(failure);
    pending.clear();
  };
  worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => {
    const reply = event.data;
    const call = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) call?.resolve(reply);
    else call?.reject(reviveError(reply.error));
  });
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    fail(new TwnDeviceError('WORKER_FAILED', `the CPU worker failed: ${event.message || 'it did not start'}`));
  });
  if (started?.failure !== undefined) {
    fail(new TwnDeviceError('WORKER_FAILED', `the CPU worker failed: ${started.failure}`));
  }
  worker.addEventListener('messageerror', () => fail(new TwnDeviceError('WORKER_FAILED', 'the CPU worker sent a message that could not be read')));
  // Each message carries its own copy, transferred: the caller's arrays stay usable.
  const call = (request: WorkerRequest, transfer: Transferable[]) =>
    new Promise<Answer>((resolve, reject) => {
      if (failure) return reject(failure);
      pending.set(request.id, { resolve, reject });
      worker.postMessage(request, transfer);
    });
  let loaded: Answer;
  try {
    const kernels = kernelsForWorker(options);
    // A port to each helper: the worker sends them their start (shared memory, kernels) through it.
    const ports = helpers.map((helper) => {
      const channel = new MessageChannel();
      helper.postMessage(channel.port2, [channel.port2]);
      return channel.port1;
    });
    const copy = graphToTransfer(graph);
    const load = { graph: copy.graph, options: { ...options, startedHelpers: ports }, kernels };
    loaded = await call({ type: 'load', id: nextId++, ...load }, [...ports, ...copy.buffers]);
  } catch (error) {
    terminate();
    throw error;
  }
  // Views the worker's shared memory: dropped by dispose, so that an app still holding the disposed model does not keep
  // that memory alive.
  let wake = loaded.wakeWord && { words: new Int32Array(loaded.wakeWord.buffer), index: loaded.wakeWord.index };
  // The buffer the last run's input went to the worker in, which the worker hands back with the output: the next run
  // copies its input into it, not into a fresh array. In headless Chromium on the 2-core machine, copying ResNet-18
  // 224's input (600 KB) into a fresh array took 3.5 ms (its pages are new to the process each time), and a round
  // trip of a reused one 0.2 ms.
  let spare: ArrayBuffer | undefined;
  if (loaded.livenessLock !== undefined) {
    const stopped = 'the CPU worker stopped (closed, or ended by the browser, e.g. for memory)';
    watchLiveness(loaded.livenessLock, () => fail(new TwnDeviceError('WORKER_FAILED', stopped)));
  }
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
      const answer = await call({ type: 'run', id: nextId++, input: copy, batch }, [buffer]);
      spare = answer.input;
      return answer.output!;
    },
    dispose() {
      wake = undefined;
      spare = undefined;
      terminate();
      fail(new TwnDeviceError('DISPOSED', 'the model has been disposed'));
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
 * The kernels the worker's arena will run, compiled on this thread while the worker starts (or taken from this
 * thread's cache), so that the worker's load need not wait for its own compilation. A shared memory where
 * helper threads will run (FastCpuExecutor: threads > 1, which needs cross-origin isolation). undefined where this
 * thread may not compile (a page policy): the worker then tries itself.
 */
function kernelsForWorker(options: FastCpuOptions): { shared: boolean; compiled: CompiledKernels } | undefined {
  if (options.kernels === 'js') return undefined;
  const shared = (options.threads ?? 1) > 1 && globalThis.crossOriginIsolated === true;
  try {
    const compiled = compiledKernels(shared);
    return compiled && { shared, compiled };
  } catch {
    return undefined;
  }
}

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
 * The helpers of a worker that will run `threads` threads: those started with it (startCpuWorker, which guessed its
 * threads before the file was read), the surplus ended, and any missing ones started now.
 */
function helpersForThreads(started: readonly HelperWorker[], threads: number): HelperWorker[] {
  const wanted = Math.max(0, threads - 1);
  for (const surplus of started.slice(wanted)) surplus.terminate();
  const kept = started.slice(0, wanted);
  return [...kept, ...helperWorkers(wanted - kept.length)];
}

/**
 * A worker can stop without an `error` event (closed, or killed for memory), and its calls would then wait for ever.
 * It holds a Web Lock while it lives; our request for the same lock is granted only when it is gone, whichever way.
 * After `dispose` (terminate) this runs too, and finds the executor failed already.
 */
function watchLiveness(lock: string, died: () => void): void {
  void navigator.locks?.request(lock, () => died()).catch(() => undefined);
}
