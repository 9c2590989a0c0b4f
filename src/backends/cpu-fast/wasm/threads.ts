import type { HelperPort } from '../options.js';
import { TASK_NAMES, type WasmArena } from './arena.js';
import { TASK_INTS } from './kernels.js';

/** The control block in shared memory, i32 fields: how the thread running a plan hands a phase's tasks out. */
const CONTROL = {
  /** Phase number (15 bits), bumped and notified for every phase. */
  PHASE: 0,
  /** The phase's task count; threads split it into shares (see NEXT). */
  COUNT: 1,
  /** Byte address of the phase's tasks (TASK_INTS i32 each). */
  TASKS: 2,
  /** Thread scratch: thread t uses SCRATCH + t·SCRATCH_STRIDE (the running thread is 0). */
  SCRATCH: 3,
  SCRATCH_STRIDE: 4,
  DONE: 5,
  STOP: 6,
  /** Helpers that have compiled the kernels and wait for phases. */
  READY: 7,
  /** 0, or the byte address of the profile (see PROFILE_FLOATS) that helpers add their task times and counts to. */
  PROFILE: 8,
  /**
   * From here, one per thread: PHASE << 16 | index of the next task of the thread's share, taken with
   * compareExchange, so a stale phase never takes one. Thread t of T owns tasks [⌊t·count/T⌋, ⌊(t+1)·count/T⌋):
   * it takes its own share first, in order, then what is left of the others' (see ThreadPool.run).
   */
  NEXT: 9,
} as const;

/** Index of the first task of thread `thread`'s share of `count` tasks among `threads`. */
export const shareStart = (thread: number, count: number, threads: number): number => Math.floor((thread * count) / threads);

/** A helper as Node's worker_threads and the web's Worker both have it. */
interface Helper {
  terminate(): unknown;
}

/** Helpers that failed to start (a page policy, an engine without shared memory in workers), counted as they fail. */
interface Failures {
  count: number;
}

/**
 * A profile in shared memory, f64: when the current phase was published (ms since the epoch), then per thread
 * PROFILE_FLOATS: milliseconds in tasks, tasks run, milliseconds from phases' publication to the thread's first task.
 */
const PROFILE_FLOATS = 3;

/** Where each thread's time went since the profile was reset (bench/cpu-threads.ts); for measurement only. */
export interface ThreadProfile {
  /** Per thread (0: the one running the plan): milliseconds inside tasks, and tasks run. */
  readonly busyMs: number[];
  readonly tasks: number[];
  /** Per thread: milliseconds from phases' publication to the thread's first task in them (helpers only). */
  readonly lateMs: number[];
  /** Phases run (one-task ones too), and milliseconds the running thread waited for helpers to finish theirs. */
  readonly phases: number;
  readonly waitMs: number;
}

export interface HelperStart {
  readonly memory: WebAssembly.Memory;
  /** Compiled once, by the arena: a helper only instantiates them (a module is shared, not copied, with a worker). */
  readonly modules: readonly WebAssembly.Module[];
  readonly names: readonly string[];
  readonly control: number;
  readonly index: number;
  /** Threads sharing each phase's tasks (the running one and every helper). */
  readonly threads: number;
  readonly spinMs: number;
}

/**
 * How long a thread spins before it blocks: a helper between phases (and after a run), the running thread for
 * helpers' last tasks. A thread that blocks is placed again as it wakes, and a kernel may put it onto the core of the
 * thread that woke it, where it waits until the kernel's balancing moves one of them (at its ticks: 4 ms here): this
 * project's VM does so with threads that have been idle for a while. A spinning thread stays where it is, or is ready
 * to be moved. VGG-7 at 2 threads, 50 ms idle before each run (`npm run bench:cpu-threads -- --models vgg7 --pause
 * 50`, Node): with 0.1 ms spins 0.96-0.99x one thread's speed, the threads waiting 11.9-12.8 ms per run for a core;
 * with 2 ms spins 1.18-1.22x (5.9-6.6 ms waiting), and 1.65x in a spell where the host ran one thread slower (0.02
 * ms waiting). Back to back, 1.65-1.72x either way. In Chromium (our worker, 20 or 50 ms between runs, 4 pages
 * each): 0.99-1.13x with 0.1 ms spins, 1.31-1.46x with 2 ms. Spins cost where cores are oversubscribed: with 9
 * runnable tasks on 2 cores, 2 threads took 57.5-58.9 ms with 2 ms spins against 53.7 ms with 0.1 ms (one thread:
 * 60-67 ms).
 */
export const SPIN_MS = 2;

/** A 32-bit word in a shared memory that helpers wait on (ThreadPool.wakeWord). */
export interface WakeWord {
  readonly buffer: SharedArrayBuffer;
  readonly index: number;
}

/** Atomics.waitAsync (ES2024; Chromium, Node ≥ 16), where the engine has it. */
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs: number) => { value: unknown };

/** A helper Web Worker as its starter holds it (the web's Worker has these; see HelperPort for why structural). */
export interface HelperWorker {
  postMessage(message: unknown, transfer?: object[]): void;
  addEventListener(type: 'error', listener: () => void): void;
  terminate(): void;
}

/**
 * Starts `count` helper Web Workers, which wait for their HelperStart. A worker that starts its own helpers does so
 * only between its tasks (Chromium: a nested worker booted only once the CPU worker had finished its first run), so
 * the page starts the CPU worker's helpers (worker-executor.ts) and hands it a port to each (see ThreadPool.start).
 */
export function startHelperWorkers(count: number): HelperWorker[] {
  if (count === 0) return [];
  const main = helperMain.toString();
  // The first message is the start, or a port that will carry it (a helper the page started for a worker).
  const source = `onmessage = ({ data }) => data instanceof MessagePort
    ? (data.onmessage = (event) => (${main})(event.data))
    : (${main})(data);`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const workers = Array.from({ length: count }, (_, i) => new Worker(url, { name: `twn-cpu-helper-${i + 1}` }));
  URL.revokeObjectURL(url);
  return workers;
}

/** How often whenReady looks again for helpers that failed (or where it cannot wait on READY). */
const READY_POLL_MS = 5;

/**
 * A helper thread's whole program, self-contained (it is sent as source text): compile the kernels against the shared
 * memory, then forever wait for a phase and take its tasks until none is left. Between phases it spins for up to
 * `spinMs` (SPIN_MS) before it blocks, so that a run's next phase usually finds it awake.
 */
function helperMain(start: HelperStart): void {
  // CONTROL's fields (this function cannot see module constants).
  const [PHASE, COUNT, TASKS, SCRATCH, SCRATCH_STRIDE, DONE, STOP] = [0, 1, 2, 3, 4, 5, 6];
  const [READY, PROFILE, NEXT] = [7, 8, 9];
  const { memory, control, index, threads, spinMs } = start;
  const exports: Record<string, (...args: number[]) => void> = {};
  for (const module of start.modules) Object.assign(exports, new WebAssembly.Instance(module, { env: { memory } }).exports);
  const functions = start.names.map((name) => exports[name]!);
  const block = new Int32Array(memory.buffer, control, NEXT + threads);
  const now = () => performance.timeOrigin + performance.now();
  Atomics.add(block, READY, 1);
  Atomics.notify(block, READY); // whenReady, awaiting the helpers
  let seen = 0;
  for (;;) {
    const spinEnd = performance.now() + spinMs;
    while (Atomics.load(block, PHASE) === seen && performance.now() < spinEnd);
    Atomics.wait(block, PHASE, seen);
    if (Atomics.load(block, STOP) !== 0) return;
    seen = Atomics.load(block, PHASE);
    const count = Atomics.load(block, COUNT);
    const tasks = Atomics.load(block, TASKS) >> 2;
    const scratch = Atomics.load(block, SCRATCH) + index * Atomics.load(block, SCRATCH_STRIDE);
    const heap = new Int32Array(memory.buffer); // the memory as it is now (it may have grown)
    const profileAt = Atomics.load(block, PROFILE);
    // This helper's counters (PROFILE_FLOATS from 1 + 3·index), after the phase's publication time at 0.
    const profile = profileAt === 0 ? undefined : new Float64Array(memory.buffer, profileAt, 4 + 3 * index);
    let first = true;
    // Its own share first, then the others' in turn (shares as shareStart cuts them).
    for (let turn = 0, share = index; turn < threads; turn++, share = (share + 1) % threads) {
      const shareEnd = Math.floor(((share + 1) * count) / threads);
      for (;;) {
        const next = Atomics.load(block, NEXT + share);
        const task = next & 0xffff;
        if (next >>> 16 !== seen || task >= shareEnd) break;
        if (Atomics.compareExchange(block, NEXT + share, next, next + 1) !== next) continue;
        const at = tasks + task * 8;
        const started = profile === undefined ? 0 : now();
        const [a, b, c, d, e] = [heap[at + 2]!, heap[at + 3]!, heap[at + 4]!, heap[at + 5]!, heap[at + 6]!];
        functions[heap[at]!]!(scratch, heap[at + 1]!, a, b, c, d, e);
        if (profile !== undefined) {
          profile[1 + 3 * index]! += now() - started;
          profile[2 + 3 * index]! += 1;
          if (first) profile[3 + 3 * index]! += started - profile[0]!;
          first = false;
        }
        if (Atomics.add(block, DONE, 1) + 1 === count) Atomics.notify(block, DONE);
      }
    }
  }
}

/**
 * Helper threads sharing the arena's memory. The thread running the plan publishes each phase, takes tasks itself,
 * and waits (Atomics.wait) until all are done; a helper that has not started yet simply takes none. Each thread takes
 * its own contiguous share of a phase's tasks first: phases cut alike (a step's row ranges and the next step's) then
 * give a thread mostly rows it wrote itself, still in its own core's cache, instead of whichever the other core
 * happened to write; what a late or slow thread leaves of its share, the others take. Which thread runs
 * a task never changes its result: tasks write disjoint outputs and every sum has a fixed order.
 */
export class ThreadPool {
  private readonly block: Int32Array;
  private phase = 0;
  /** Byte address of the profile (PROFILE_FLOATS per thread after the publication time) while profiling. */
  private profileAddress: number | undefined;
  private phases = 0;
  private waitMs = 0;
  private disposed = false;

  private constructor(
    private readonly arena: WasmArena,
    control: number,
    private readonly helpers: readonly Helper[],
    private readonly failures: Failures,
  ) {
    this.block = new Int32Array(arena.memory.buffer, control, CONTROL.NEXT + helpers.length + 1);
    // From here on the arena's offset lists are written by every ready thread: helpers that are up before a model's
    // weights are compiled share that work (start() makes the pool before it awaits anything, where it can).
    arena.shareWith(this);
  }

  /**
   * `threads` − 1 helpers (Node: worker_threads; browsers: Web Workers from a blob: URL, or ones the page started
   * and reached through `startedHelpers`), or the reason why they cannot exist here.
   */
  static async start(
    arena: WasmArena,
    threads: number,
    startedHelpers: readonly HelperPort[] = [],
  ): Promise<ThreadPool | string> {
    if (!arena.shared) return 'SharedArrayBuffer is unavailable (a web page needs cross-origin isolation: COOP and COEP headers)';
    const control = arena.allocate(4 * (CONTROL.NEXT + threads));
    if (control === undefined) return 'the WebAssembly memory is full';
    const modules = arena.modules;
    const names = TASK_NAMES;
    const { memory } = arena;
    const start = (index: number): HelperStart =>
      ({ memory, modules, names, control, index, threads, spinMs: SPIN_MS });
    const helpers: Helper[] = [];
    const failures: Failures = { count: 0 };
    const isNode = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;
    try {
      if (isNode) {
        // Synchronously where Node can (≥ 20.16), so helpers start booting before the caller goes on (prepare()).
        // A variable specifier keeps bundlers from resolving a Node built-in for the browser build.
        const specifier = 'node:worker_threads';
        type WorkerThreads = typeof import('node:worker_threads');
        const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
        const { Worker } = ((process?.getBuiltinModule?.(specifier) as WorkerThreads | undefined) ??
          (await import(/* @vite-ignore */ specifier))) as WorkerThreads;
        for (let index = 1; index < threads; index++) {
          const source = `(${helperMain.toString()})(require('node:worker_threads').workerData)`;
          const worker = new Worker(source, { eval: true, workerData: start(index) });
          worker.unref(); // never keeps a process alive
          worker.on('error', () => failures.count++);
          helpers.push(worker);
        }
      } else {
        // Helpers the page started (startHelperWorkers) are already booting; the others start here.
        const started = startedHelpers.slice(0, threads - 1);
        const spawned = startHelperWorkers(Math.max(0, threads - 1 - started.length));
        // A started helper's errors go to the page, which ends it with the worker (worker-executor.ts).
        for (const [i, port] of started.entries()) {
          port.postMessage(start(i + 1));
          helpers.push({ terminate: () => port.close() });
        }
        for (const [i, worker] of spawned.entries()) {
          worker.addEventListener('error', () => failures.count++);
          worker.postMessage(start(started.length + i + 1));
          helpers.push(worker);
        }
      }
    } catch (error) {
      for (const helper of helpers) helper.terminate();
      return `helper threads could not start (${error instanceof Error ? error.message : String(error)})`;
    }
    return new ThreadPool(arena, control, helpers, failures);
  }

  /** Threads working on a phase once every helper is up: the running one and the helpers. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /** Helpers that have compiled the kernels and take tasks. */
  get ready(): number {
    return Atomics.load(this.block, CONTROL.READY);
  }

  /**
   * Resolves with the helpers ready once every helper is ready or failed, after `timeoutMs` (those ready then), or
   * once the pool is disposed: a wait that outlived dispose would hold the arena's memory (a helper terminated while
   * it booted never gets ready).
   */
  async whenReady(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (let ready = this.ready; ready + this.failures.count < this.helpers.length; ready = this.ready) {
      if (this.disposed || Date.now() >= deadline) break;
      // Woken as the next helper gets ready (it notifies READY), where the engine can wait asynchronously; failures,
      // which arrive as error events, by the poll (a model's load waits for this before its first run).
      const waitAsync = (Atomics as { waitAsync?: WaitAsync }).waitAsync;
      const woken = waitAsync?.(this.block, CONTROL.READY, ready, READY_POLL_MS).value;
      await Promise.race([woken, new Promise((resolve) => setTimeout(resolve, READY_POLL_MS))].filter(Boolean));
    }
    return this.ready;
  }

  /**
   * Wakes blocked helpers without a phase, so that they spin (up to the spin time) and are awake when the first phase
   * of a run comes: called as a run starts, it hides their wake-up behind the run's first steps.
   */
  wake(): void {
    Atomics.notify(this.block, CONTROL.PHASE);
  }

  /**
   * Where another thread can wake the helpers as wake() does, with Atomics.notify: the shared memory's buffer and
   * the index of the word the helpers wait on. A page wakes its CPU worker's helpers itself as it posts a run (see
   * worker-executor.ts), so that they are not woken by a thread that goes on running.
   */
  get wakeWord(): WakeWord {
    return { buffer: this.block.buffer as SharedArrayBuffer, index: this.block.byteOffset / 4 + CONTROL.PHASE };
  }

  /**
   * Starts (or restarts from zero) accounting each thread's time in tasks; a measurement aid that costs two clock
   * reads per task. false when the arena cannot hold the counters.
   */
  startProfile(): boolean {
    const bytes = 8 * (1 + PROFILE_FLOATS * this.threads);
    this.profileAddress ??= this.arena.allocate(bytes);
    if (this.profileAddress === undefined) return false;
    new Float64Array(this.arena.memory.buffer, this.profileAddress, bytes / 8).fill(0);
    this.phases = 0;
    this.waitMs = 0;
    Atomics.store(this.block, CONTROL.PROFILE, this.profileAddress);
    return true;
  }

  /** The counters since startProfile, or undefined when not profiling. */
  profile(): ThreadProfile | undefined {
    if (this.profileAddress === undefined) return undefined;
    const values = new Float64Array(this.arena.memory.buffer, this.profileAddress, 1 + PROFILE_FLOATS * this.threads);
    const column = (offset: number) =>
      Array.from({ length: this.threads }, (_, t) => values[1 + PROFILE_FLOATS * t + offset]!);
    return { busyMs: column(0), tasks: column(1), lateMs: column(2), phases: this.phases, waitMs: this.waitMs };
  }

  /** Runs one phase: `tasks` (a copy of what is stored at `address`), thread scratch from `scratch`, `stride` apart. */
  run(tasks: Int32Array, address: number, scratch: number, stride: number): void {
    const count = tasks.length / TASK_INTS;
    const profileAt = this.profileAddress;
    const profile = profileAt === undefined ? undefined : new Float64Array(this.arena.memory.buffer, profileAt, 4);
    if (profile !== undefined) {
      profile[0] = performance.timeOrigin + performance.now();
      this.phases++;
    }
    if (count <= 1 || this.ready === 0) {
      const started = profile && performance.now();
      this.arena.runTasks(tasks, scratch);
      if (profile !== undefined) {
        profile[1]! += performance.now() - started!;
        profile[2]! += count;
      }
      return;
    }
    const block = this.block;
    const phase = (this.phase = (this.phase + 1) & 0x7fff);
    const threads = this.threads;
    // Close the previous phase's task counters first, so no late helper can take a task of the phase being written.
    for (let t = 0; t < threads; t++) Atomics.store(block, CONTROL.NEXT + t, (phase << 16) | 0xffff);
    Atomics.store(block, CONTROL.COUNT, count);
    Atomics.store(block, CONTROL.TASKS, address);
    Atomics.store(block, CONTROL.SCRATCH, scratch);
    Atomics.store(block, CONTROL.SCRATCH_STRIDE, stride);
    Atomics.store(block, CONTROL.DONE, 0);
    for (let t = 0; t < threads; t++) {
      Atomics.store(block, CONTROL.NEXT + t, (phase << 16) | shareStart(t, count, threads));
    }
    Atomics.store(block, CONTROL.PHASE, phase);
    Atomics.notify(block, CONTROL.PHASE);
    const functions = this.arena.tasks;
    // Share 0 first, then what the helpers have left of theirs.
    for (let share = 0; share < threads; share++) {
      const shareEnd = shareStart(share + 1, count, threads);
      for (;;) {
        const next = Atomics.load(block, CONTROL.NEXT + share);
        const task = next & 0xffff;
        if (task >= shareEnd) break;
        if (Atomics.compareExchange(block, CONTROL.NEXT + share, next, next + 1) !== next) continue;
        const at = task * TASK_INTS;
        const started = profile && performance.now();
        const [a, b, c, d, e] = [tasks[at + 2]!, tasks[at + 3]!, tasks[at + 4]!, tasks[at + 5]!, tasks[at + 6]!];
        functions[tasks[at]!]!(scratch, tasks[at + 1]!, a, b, c, d, e);
        if (profile !== undefined) {
          profile[1]! += performance.now() - started!;
          profile[2]! += 1;
        }
        Atomics.add(block, CONTROL.DONE, 1);
      }
    }
    const waitFrom = profile && performance.now();
    const spinEnd = performance.now() + SPIN_MS;
    while (Atomics.load(block, CONTROL.DONE) < count && performance.now() < spinEnd);
    for (let done = Atomics.load(block, CONTROL.DONE); done < count; done = Atomics.load(block, CONTROL.DONE)) {
      Atomics.wait(block, CONTROL.DONE, done);
    }
    if (profile) this.waitMs += performance.now() - waitFrom!;
  }

  dispose(): void {
    this.disposed = true;
    this.arena.shareWith(undefined);
    Atomics.store(this.block, CONTROL.STOP, 1);
    Atomics.store(this.block, CONTROL.PHASE, (this.phase + 1) & 0x7fff);
    Atomics.notify(this.block, CONTROL.PHASE);
    Atomics.notify(this.block, CONTROL.READY); // ends a whenReady wait now
    for (const helper of this.helpers) helper.terminate();
  }
}
