import { withMemoryImport, type MemoryImport } from './encode.js';
import {
  denseMaskTable, int16DenseMaskTable, OVERREAD_BYTES, TASK, TASK_INTS, type OffsetBytes, type TaskFunction,
} from './kernels.js';
import { OFFSET_LIST_FUNCTIONS, pairedCodesDescriptor } from './offset-lists.js';
import { SHIPPED_KERNELS, SHIPPED_OFFSET_LISTS } from './shipped-modules.js';

const PAGE_BYTES = 65_536;
/** v128 loads stay 16-byte aligned when every region starts on a 16-byte boundary. */
const ALIGNMENT = 16;
/** A shared memory must declare its maximum: 1 GiB, far above what these nets need (VGG-7 full width: ~60 MiB). */
export const SHARED_MAXIMUM_PAGES = 16_384;

const aligned = (bytes: number): number => Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;

/** Task functions by index: the kernels' (TASK), then the offset-list writer's, which helper threads run too. */
export const TASK_NAMES: readonly string[] = [...Object.keys(TASK), ...OFFSET_LIST_FUNCTIONS];
const taskIndex = (name: string): number => TASK_NAMES.indexOf(name);
const [SIGNED_OFFSETS, SIGNED_SHORT_OFFSETS] = [taskIndex('signedOffsets'), taskIndex('signedShortOffsets')];
const SIGNED_COUNTS = taskIndex('signedCounts');
const PAIRED_CODES = taskIndex('pairedCodes');
/**
 * Tasks a weight's offset-list work is cut into, by rows: enough for a helper thread to share it evenly, few enough
 * that handing them out costs nothing next to the work (ResNet-18 224: 0.1–2 M list entries per weight).
 */
const OFFSET_LIST_TASKS = 16;

/** Tasks over `rows` rows in OFFSET_LIST_TASKS ranges (or fewer, of one row each): `task(first row, rows)` each. */
function rowTasks(rows: number, task: (first: number, count: number) => number[]): Int32Array {
  const rowsPerTask = Math.max(1, Math.ceil(rows / OFFSET_LIST_TASKS));
  const count = Math.ceil(rows / rowsPerTask);
  const tasks = new Int32Array(count * TASK_INTS);
  for (let index = 0; index < count; index++) {
    const first = index * rowsPerTask;
    tasks.set(task(first, Math.min(rowsPerTask, rows - first)), index * TASK_INTS);
  }
  return tasks;
}

/** Runs a phase's tasks, stored at `address`, on every thread that takes part: ThreadPool.run. */
export interface PhaseRunner {
  run(tasks: Int32Array, address: number, scratch: number, stride: number): void;
}

/** The compiled kernel modules and the offset-list writer (offset-lists.ts), importing one kind of memory. */
export interface CompiledKernels {
  readonly kernels: readonly WebAssembly.Module[];
  readonly offsetLists: WebAssembly.Module;
}

/** The compiled modules for each kind of memory (shared or not), by the first arena that needs them or handed in. */
const compiledByMemory = new Map<boolean, CompiledKernels | undefined>();

const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/**
 * The bytes of the kernel modules (kernels.ts) and of the offset-list writer (offset-lists.ts) as they ship
 * (shipped-modules.ts), importing a shared memory or an ordinary one.
 */
export function shippedModules(shared: boolean): { kernels: Uint8Array<ArrayBuffer>[]; offsetLists: Uint8Array<ArrayBuffer> } {
  const memory: MemoryImport = { shared, maximumPages: SHARED_MAXIMUM_PAGES };
  const bytes = (text: string) => withMemoryImport(fromBase64(text), memory);
  return { kernels: SHIPPED_KERNELS.map(bytes), offsetLists: bytes(SHIPPED_OFFSET_LISTS) };
}

/**
 * The modules importing a shared or an ordinary memory, compiled once per thread: every executor of this thread
 * reuses them, and a CPU worker gets them from the page (useCompiledKernels), which compiles them while the worker
 * starts. undefined where the engine rejects them (no SIMD); a page policy that forbids compiling throws.
 */
export function compiledKernels(shared: boolean): CompiledKernels | undefined {
  if (!compiledByMemory.has(shared)) {
    const { kernels, offsetLists } = shippedModules(shared);
    // Synchronous compilation, which browsers allow on the page's own thread for modules under 4 KiB.
    const valid = kernels.every((module) => WebAssembly.validate(module));
    const compile = (module: Uint8Array<ArrayBuffer>) => new WebAssembly.Module(module);
    const compiled = valid ? { kernels: kernels.map(compile), offsetLists: compile(offsetLists) } : undefined;
    compiledByMemory.set(shared, compiled);
  }
  return compiledByMemory.get(shared);
}

/** compileKernels' work for each kind of memory, started at most once per thread. */
const compilingByMemory = new Map<boolean, Promise<CompiledKernels | undefined>>();

/**
 * compiledKernels' modules compiled off this thread (WebAssembly.compile), for a caller that can start early and
 * await them later: the page starts the CPU worker's while it parses the file (worker-executor.ts), which then need
 * not wait for them. In headless Chromium on the 2-core machine the shared memory's took the page 11-16 ms
 * synchronously. undefined where the engine rejects them (no SIMD, a page policy): the caller then tries otherwise.
 */
export function compileKernels(shared: boolean): Promise<CompiledKernels | undefined> {
  let compiling = compilingByMemory.get(shared);
  if (compiling === undefined) {
    compiling = compiledByMemory.has(shared) ? Promise.resolve(compiledByMemory.get(shared)) : compileOffThread(shared);
    compilingByMemory.set(shared, compiling);
  }
  return compiling;
}

async function compileOffThread(shared: boolean): Promise<CompiledKernels | undefined> {
  try {
    const { kernels, offsetLists } = shippedModules(shared);
    const [offsetListModule, ...kernelModules] = await Promise.all(
      [offsetLists, ...kernels].map((bytes) => WebAssembly.compile(bytes)),
    );
    // A synchronous compilation that finished meanwhile stays the one this thread uses.
    if (!compiledByMemory.has(shared)) compiledByMemory.set(shared, { kernels: kernelModules, offsetLists: offsetListModule! });
    return compiledByMemory.get(shared);
  } catch {
    return undefined;
  }
}

/** Modules compiled by another thread of this page (compiledKernels there), used here instead of compiling again. */
export function useCompiledKernels(shared: boolean, compiled: CompiledKernels): void {
  compiledByMemory.set(shared, compiled);
}

/**
 * The WebAssembly kernels with their memory, one per FastCpuExecutor: compiled weights, and per bound plan its
 * activations, descriptors, tasks and scratch. Regions are allocated first-fit and freed when their plan is collected,
 * so memory stays bounded by what is alive. Growing a memory detaches views of an unshared one, so nothing keeps a
 * view across allocations: callers keep addresses and ask for views when they run.
 */
export class WasmArena {
  /** Task functions by TASK index. */
  readonly tasks: readonly TaskFunction[];
  /** Free regions [start, end), sorted and coalesced; everything from `top` up is free too. */
  private readonly free: [number, number][] = [];
  /** Address 0 is never handed out, so descriptors can use 0 for "none". */
  private top = ALIGNMENT;
  private readonly tables = new Map<'float' | 'int16', number | undefined>();
  /** The end of the highest region ever handed out: memory below it may hold a released region's bytes. */
  private highWater = ALIGNMENT;
  /** Helper threads that write offset lists with this thread (threads.ts), from when they start until disposed. */
  private helpers: PhaseRunner | undefined;

  private constructor(
    readonly memory: WebAssembly.Memory,
    /**
     * The compiled kernel modules and the offset-list writer, for helper threads to instantiate against the same
     * (shared) memory: together they export every function of TASK_NAMES.
     */
    readonly modules: readonly WebAssembly.Module[],
    tasks: TaskFunction[],
  ) {
    this.tasks = tasks;
  }

  /**
   * undefined where the kernels cannot run: no WebAssembly or no SIMD, or a page policy that forbids compiling.
   * `shared`: a shared memory, for helper threads (needs SharedArrayBuffer: cross-origin isolation in a browser).
   */
  static create(shared = false): WasmArena | undefined {
    try {
      if (typeof WebAssembly !== 'object') return undefined;
      const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared } : { initial: 1 });
      const compiled = compiledKernels(shared);
      if (compiled === undefined) return undefined;
      const modules = [...compiled.kernels, compiled.offsetLists];
      const instances = modules.map((module) => new WebAssembly.Instance(module, { env: { memory } }));
      const exports = Object.assign({}, ...instances.map((instance) => instance.exports)) as Record<string, unknown>;
      const tasks = TASK_NAMES.map((name) => exports[name] as TaskFunction);
      return new WasmArena(memory, modules, tasks);
    } catch {
      // A Content-Security-Policy without 'wasm-unsafe-eval' lands here: the JavaScript kernels run instead.
      return undefined;
    }
  }

  get shared(): boolean {
    return typeof SharedArrayBuffer !== 'undefined' && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** `bytes` (zeroed), 16-byte aligned; undefined when the memory cannot grow that far. */
  allocate(bytes: number): number | undefined {
    const size = aligned(Math.max(bytes, 1));
    const index = this.free.findIndex(([start, end]) => end - start >= size);
    if (index >= 0) {
      const region = this.free[index]!;
      const address = region[0];
      region[0] += size;
      if (region[0] === region[1]) this.free.splice(index, 1);
      new Uint8Array(this.memory.buffer, address, size).fill(0);
      return address;
    }
    const address = this.top;
    if (!this.reserve(address + size + OVERREAD_BYTES)) return undefined;
    this.top = address + size;
    // Below the high-water mark lie the bytes of regions released at the top; fresh memory above it is zero.
    if (address < this.highWater) {
      new Uint8Array(this.memory.buffer, address, Math.min(size, this.highWater - address)).fill(0);
    }
    this.highWater = Math.max(this.highWater, this.top);
    return address;
  }

  /** Gives a region back (its address and the size it was allocated with). */
  release(address: number, bytes: number): void {
    const size = aligned(Math.max(bytes, 1));
    let index = this.free.findIndex(([start]) => start > address);
    if (index < 0) index = this.free.length;
    this.free.splice(index, 0, [address, address + size]);
    const free = this.free;
    const next = free[index + 1];
    if (next !== undefined && next[0] === address + size) {
      free[index]![1] = next[1];
      free.splice(index + 1, 1);
    }
    const previous = free[index - 1];
    if (previous !== undefined && previous[1] === address) {
      previous[1] = free[index]![1];
      free.splice(index, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last !== undefined && last[1] === this.top) {
      this.top = last[0];
      this.free.pop();
    }
  }

  /** Copies `values` into a new region; its address, or undefined when the memory cannot grow that far. */
  store(values: Int32Array | Uint32Array | Float32Array): number | undefined {
    const address = this.allocate(values.byteLength);
    if (address === undefined) return undefined;
    new Uint8Array(this.memory.buffer, address, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return address;
  }

  /**
   * The dense mask table of float or int16 lanes (kernels.ts denseMaskTable, int16DenseMaskTable), stored on first
   * use; undefined if it does not fit.
   */
  denseTable(lanes: 'float' | 'int16'): number | undefined {
    if (this.tables.get(lanes) === undefined) {
      this.tables.set(lanes, this.store(lanes === 'float' ? denseMaskTable() : int16DenseMaskTable()));
    }
    return this.tables.get(lanes);
  }

  /** From now on (until `undefined`), offset lists are written by these helper threads too (ThreadPool). */
  shareWith(helpers: PhaseRunner | undefined): void {
    this.helpers = helpers;
  }

  /**
   * Runs `tasks` (TASK_INTS each) on this thread and on the helper threads that share its work (shareWith), if any
   * are ready; false when the memory cannot hold the task list.
   */
  private runShared(tasks: Int32Array): boolean {
    const address = this.store(tasks);
    if (address === undefined) return false;
    if (this.helpers) this.helpers.run(tasks, address, 0, 0);
    else this.runTasks(tasks, 0);
    this.release(address, tasks.byteLength);
    return true;
  }

  /**
   * offset-lists.ts pairedCodes of a ternary conv2d weight [rows, channels, taps] (`rowWords` packed words per row
   * at `words`), at `out` (zeroed), chunk by chunk; false when the memory cannot hold its descriptor and tasks.
   */
  pairedCodes(
    words: number, rowWords: number, rows: number, channels: number, taps: number, out: number, chunkWords: number,
    chunkStride: number,
  ): boolean {
    const fields = pairedCodesDescriptor(words, rowWords, channels, taps, out, chunkWords, chunkStride);
    const descriptor = this.store(fields);
    if (descriptor === undefined) return false;
    const done = this.runShared(rowTasks(rows, (first, count) => [PAIRED_CODES, descriptor, first, first + count]));
    this.release(descriptor, fields.byteLength);
    return done;
  }

  /**
   * Where each row's lists begin when its +1 codes' k are listed, then its −1 codes', row by row (`rows` rows of
   * `rowWords` packed words at `words`): starts[2o] and starts[2o + 1], and the end at starts[2·rows]. Counted by
   * offset-lists.ts signedCounts; undefined when the memory cannot hold the counts.
   */
  signedStarts(words: number, rowWords: number, rows: number): Int32Array | undefined {
    const counts = this.allocate(8 * rows);
    if (counts === undefined) return undefined;
    const counted = this.runShared(rowTasks(rows, (first, count) =>
      [SIGNED_COUNTS, words + 4 * rowWords * first, rowWords, count, counts + 8 * first]));
    const starts = new Int32Array(2 * rows + 1);
    if (counted) {
      const lengths = this.i32(counts, 2 * rows);
      for (let i = 0; i < 2 * rows; i++) starts[i + 1] = starts[i]! + lengths[i]!;
    }
    this.release(counts, 8 * rows);
    return counted ? starts : undefined;
  }

  /**
   * Writes a ternary weight's offset lists at `lists` (starts[2·rows] entries of `offsetBytes`: u16 or i32): per row
   * of `rowWords` packed words stored at `words`, map[k] for each k of its +1 codes, then of its −1 codes, ascending
   * (`starts` from signedStarts). The pages of fresh memory that the lists fill are most of a cold start's work.
   * false when the memory cannot hold `starts`, `map` and the tasks meanwhile.
   */
  signedOffsets(
    words: number, rowWords: number, starts: Int32Array, map: Int32Array, lists: number, offsetBytes: OffsetBytes,
  ): boolean {
    const task = offsetBytes === 2 ? SIGNED_SHORT_OFFSETS : SIGNED_OFFSETS;
    const startsAt = this.store(starts);
    const mapAt = startsAt === undefined ? undefined : this.store(map);
    const rows = (starts.length - 1) / 2;
    const written = mapAt !== undefined && this.runShared(rowTasks(rows, (first, count) =>
      [task, words + 4 * rowWords * first, rowWords, count, startsAt! + 8 * first, mapAt, lists]));
    if (mapAt !== undefined) this.release(mapAt, map.byteLength);
    if (startsAt !== undefined) this.release(startsAt, starts.byteLength);
    return written;
  }

  f32(address: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, address, length);
  }

  i32(address: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, address, length);
  }

  u32(address: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, address, length);
  }

  /** Runs a phase's tasks (TASK_INTS each) one after another on this thread, with `scratch` as the thread scratch. */
  runTasks(tasks: Int32Array, scratch: number): void {
    const functions = this.tasks;
    for (let at = 0; at < tasks.length; at += TASK_INTS) {
      functions[tasks[at]!]!(scratch, tasks[at + 1]!, tasks[at + 2]!, tasks[at + 3]!, tasks[at + 4]!, tasks[at + 5]!, tasks[at + 6]!);
    }
  }

  private reserve(bytes: number): boolean {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing <= 0) return true;
    try {
      this.memory.grow(Math.ceil(missing / PAGE_BYTES));
      return true;
    } catch {
      return false; // RangeError: beyond the engine's limit for one memory (4 GiB, or less), or the shared maximum
    }
  }
}

/**
 * Regions of one owner (a compiled graph, a bound plan), released together when the owner is collected: see
 * FastCpuExecutor's FinalizationRegistry.
 */
export class ArenaRegions {
  private readonly regions: [number, number][] = [];

  constructor(readonly arena: WasmArena) {}

  allocate(bytes: number): number | undefined {
    const address = this.arena.allocate(bytes);
    if (address !== undefined) this.regions.push([address, bytes]);
    return address;
  }

  store(values: Int32Array | Uint32Array | Float32Array): number | undefined {
    const address = this.arena.store(values);
    if (address !== undefined) this.regions.push([address, values.byteLength]);
    return address;
  }

  releaseAll(): void {
    for (const [address, bytes] of this.regions.splice(0)) this.arena.release(address, bytes);
  }
}
