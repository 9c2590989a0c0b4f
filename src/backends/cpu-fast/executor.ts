import { TwnInputError } from '../../errors.js';
import type { Graph, GraphNode } from '../../graph/ir.js';
import { optimize } from '../../graph/passes/optimize.js';
import { inferShapes } from '../../graph/shapes.js';
import { elementCount, formatShape } from '../../ops/tensor.js';
import { BatchCache } from '../../plan/batch-cache.js';
import { planGraph, type ExecutionPlan, type RunLimits } from '../../plan/plan.js';
import type { BoundStep, CompiledNode, WasmBoundStep, WasmOp } from './kernel.js';
import { getFastOp, getWasmOp } from './ops.js';
import type { CpuKernels, FastCpuOptions, HelperPort, Precision, ThreadInfo } from './options.js';
import { int16Quantisers } from './precision.js';
import { HeapScratch } from './scratch.js';
import { ArenaRegions, TASK_NAMES, WasmArena } from './wasm/arena.js';
import { ThreadPool, type ThreadProfile, type WakeWord } from './wasm/threads.js';

export interface FastTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A plan with its buffers, bound once and reused by every run. */
interface BoundPlan {
  /** Copies `input` in, runs every step, returns copies of the outputs. */
  run(input: Float32Array | Float64Array): Map<string, FastTensor>;
}

/**
 * The fast CPU backend: float32, for users whose WebGPU adapter is a software one. Same contract as CpuExecutor (a
 * Graph is optimized and planned per batch; an ExecutionPlan runs as given), but work happens once: each graph is
 * compiled on first use (ternary codes → offset lists, epilogue constants), each plan bound once (its buffers, task
 * lists sized to its shapes). A run then allocates only the output arrays it returns. With WebAssembly, everything
 * lives in one arena: weights while their graph is alive, a plan's buffers while the plan is; without it, the
 * JavaScript kernels run on ordinary arrays. Plans made here are kept for the BATCH_SIZES_KEPT most recently run
 * batch sizes of each graph.
 */
export class FastCpuExecutor {
  /** The kernels this executor actually runs. */
  readonly kernels: CpuKernels;
  /** The precision it runs: 'int16' only where asked for and the WebAssembly kernels run (no JavaScript int16). */
  readonly precision: Precision;
  private readonly arena: WasmArena | undefined;
  private readonly heapScratch = new HeapScratch();
  private readonly jsCompiled = new WeakMap<Graph, ReadonlyMap<string, CompiledNode>>();
  private readonly wasmCompiled = new WeakMap<Graph, ReadonlyMap<string, WasmCompiledNode | undefined> | undefined>();
  private readonly optimized = new WeakMap<Graph, { graph: Graph; plans: BatchCache<ExecutionPlan> }>();
  private readonly bound = new WeakMap<ExecutionPlan, BoundPlan>();
  private readonly limits: RunLimits;
  /** Arena regions of graphs and plans, released when their owner is collected. */
  private readonly finalizer = new FinalizationRegistry<ArenaRegions>((regions) => regions.releaseAll());

  private readonly onStep: FastCpuOptions['onStep'];
  private readonly onPhase: FastCpuOptions['onPhase'];
  /** Threads the task lists are cut for; the pool may run fewer (a helper that has not started takes no task). */
  private readonly requestedThreads: number;
  private pool: ThreadPool | undefined;
  private disposed = false;
  private readonly threadsSpawned: Promise<ThreadInfo>;
  private readonly threadsStarted: Promise<ThreadInfo>;

  constructor(options: FastCpuOptions = {}) {
    this.limits = { maxRunBytes: options.maxRunBytes };
    this.onStep = options.onStep;
    this.onPhase = options.onPhase;
    const threads = Math.max(1, Math.floor(options.threads ?? 1));
    const wasm = options.kernels !== 'js';
    this.arena = wasm ? ((threads > 1 ? WasmArena.create(true) : undefined) ?? WasmArena.create()) : undefined;
    this.kernels = this.arena === undefined ? 'js' : 'wasm-simd';
    this.precision = this.arena !== undefined && options.precision === 'int16' ? 'int16' : 'float32';
    this.requestedThreads = this.arena === undefined ? 1 : threads;
    this.threadsSpawned = this.spawnThreads(threads, options.startedHelpers);
    this.threadsStarted = this.readyThreads(threads);
  }

  /** How many threads run the layers once helpers have started, and why fewer than asked for, if so. */
  threadInfo(): Promise<ThreadInfo> {
    return this.threadsStarted;
  }

  /**
   * The threads that will run the layers as soon as their helpers are on their way (or why fewer will): a caller that
   * runs at once need not wait for helpers to boot (tens of milliseconds, often longer than binding the model), as
   * each takes tasks from the first phase after it is ready. threadInfo() says how many did start.
   */
  threadsPlanned(): Promise<ThreadInfo> {
    return this.threadsSpawned;
  }

  /**
   * Starts (or restarts) accounting each thread's time in tasks, read with threadProfile(); false without helper
   * threads. For measurement only (bench/cpu-threads.ts): it reads the clock twice per task.
   */
  startThreadProfile(): boolean {
    return this.pool?.startProfile() ?? false;
  }

  threadProfile(): ThreadProfile | undefined {
    return this.pool?.profile();
  }

  /** Bytes of WebAssembly memory the executor holds (0 with the JavaScript kernels); for measurement. */
  get wasmMemoryBytes(): number {
    return this.arena?.memory.buffer.byteLength ?? 0;
  }

  /** Where another thread can wake the helper threads (ThreadPool.wakeWord); undefined without helpers. */
  helperWakeWord(): WakeWord | undefined {
    return this.pool?.wakeWord;
  }

  /** Stops the helper threads; the executor then runs on the calling thread alone. */
  dispose(): void {
    this.disposed = true;
    this.pool?.dispose();
    this.pool = undefined;
  }

  private async spawnThreads(threads: number, startedHelpers?: readonly HelperPort[]): Promise<ThreadInfo> {
    if (threads === 1) return { threads: 1 };
    if (this.arena === undefined) return { threads: 1, reason: 'the JavaScript kernels run on one thread' };
    if (!mayBlock()) return { threads: 1, reason: "a page's own thread may not wait for helper threads (Atomics.wait)" };
    const pool = await ThreadPool.start(this.arena, threads, startedHelpers);
    if (typeof pool === 'string') return { threads: 1, reason: pool };
    if (this.disposed) {
      // Disposed while the pool started: its helpers, which already share the arena's work, stop here.
      pool.dispose();
      return { threads: 1, reason: 'the executor was disposed' };
    }
    this.pool = pool;
    return { threads };
  }

  private async readyThreads(threads: number): Promise<ThreadInfo> {
    const planned = await this.threadsSpawned;
    const pool = this.pool;
    if (planned.threads === 1 || pool === undefined) return planned;
    const ready = await pool.whenReady(HELPER_START_MS);
    if (this.disposed) return { threads: 1, reason: 'the executor was disposed' };
    return ready === threads - 1 ? { threads } : { threads: 1 + ready, reason: `${ready} of ${threads - 1} helper threads started` };
  }

  run(model: Graph | ExecutionPlan, input: Float32Array | Float64Array, batch: number): Map<string, FastTensor> {
    if (!(input instanceof Float32Array || input instanceof Float64Array)) {
      throw new TwnInputError('INPUT_TYPE', 'input must be a Float32Array or Float64Array');
    }
    const plan = isPlan(model) ? model : this.planFor(model, batch);
    if (plan.batch !== batch) {
      throw new TwnInputError('INPUT_SHAPE', `this plan is for batch ${plan.batch}, got batch ${batch}`);
    }
    const inputShape = plan.shapes.get(plan.graph.input.name)!;
    if (input.length !== elementCount(inputShape)) {
      throw new TwnInputError(
        'INPUT_SHAPE',
        `input ${formatShape(inputShape)} needs ${elementCount(inputShape)} values, got ${input.length}`,
      );
    }
    return this.bind(plan).run(input);
  }

  /**
   * Plans and binds `graph` for `batch` now instead of on its first run (weights compiled, buffers laid out, tasks
   * cut): a model's loader calls it while helper threads start, so that the two overlap. false when no plan can be
   * made (a run over maxRunBytes), which run() then reports, for the batch it is given.
   */
  prepare(graph: Graph, batch: number): boolean {
    let plan: ExecutionPlan;
    try {
      plan = this.planFor(graph, batch);
    } catch {
      return false;
    }
    this.bind(plan);
    return true;
  }

  private bind(plan: ExecutionPlan): BoundPlan {
    let bound = this.bound.get(plan);
    if (bound === undefined) {
      bound = this.arena && this.bindInArena(plan, this.arena);
      if (bound === undefined && this.precision === 'int16') {
        // int16 has no JavaScript kernels, and falling back to float32 would change the results with the batch size.
        throw new TwnInputError(
          'RUN_TOO_LARGE',
          `precision 'int16' runs in WebAssembly memory, which cannot grow to hold this model at batch ${plan.batch}: ` +
            `run a smaller batch, or load with precision 'float32'`,
        );
      }
      bound ??= this.bindOnHeap(plan);
      this.bound.set(plan, bound);
    }
    return bound;
  }

  private planFor(graph: Graph, batch: number): ExecutionPlan {
    let entry = this.optimized.get(graph);
    if (entry === undefined) {
      entry = { graph: optimize(graph), plans: new BatchCache() };
      this.optimized.set(graph, entry);
    }
    const optimizedGraph = entry.graph;
    return entry.plans.get(batch, () => planGraph(optimizedGraph, batch, this.limits));
  }

  private compileJs(graph: Graph): ReadonlyMap<string, CompiledNode> {
    let nodes = this.jsCompiled.get(graph);
    if (nodes === undefined) {
      nodes = new Map(graph.nodes.map((node) => [node.name, requiredFastOp(node.op)(node, graph)]));
      this.jsCompiled.set(graph, nodes);
    }
    return nodes;
  }

  /** The graph's nodes for the WebAssembly kernels (undefined for those that run JavaScript on arena views). */
  private compileWasm(graph: Graph, arena: WasmArena): ReadonlyMap<string, WasmCompiledNode | undefined> | undefined {
    if (!this.wasmCompiled.has(graph)) {
      const regions = new ArenaRegions(arena);
      this.finalizer.register(graph, regions);
      const nodes = new Map<string, WasmCompiledNode | undefined>();
      const quantisers = this.precision === 'int16' ? int16Quantisers(graph) : new Map();
      let complete = true;
      for (const node of graph.nodes) {
        const op = getWasmOp(node.op);
        const compiled = op?.(node, graph, regions, quantisers.get(node.name));
        if (op !== undefined && compiled === undefined) complete = false;
        nodes.set(node.name, compiled);
      }
      // An arena that could not grow for every layer: this graph runs the JavaScript kernels instead.
      if (!complete) regions.releaseAll();
      this.wasmCompiled.set(graph, complete ? nodes : undefined);
    }
    return this.wasmCompiled.get(graph);
  }

  private bindOnHeap(plan: ExecutionPlan): BoundPlan {
    const compiled = this.compileJs(plan.graph);
    const slots = plan.slots.map((size) => new Float32Array(size));
    const view = (value: string) => slots[plan.valueSlot.get(value)!]!.subarray(0, elementCount(plan.shapes.get(value)!));
    const steps = plan.steps.map((planStep) => ({
      step: compiled.get(planStep.node.name)!(planStep),
      buffers: { inputs: planStep.node.inputs.map(view), output: view(planStep.node.outputs[0]!) },
    }));
    const input = view(plan.graph.input.name);
    const outputs = new Map(plan.graph.outputs.map((value) => [value, view(value)]));
    const scratchSize = steps.reduce((most, { step }) => Math.max(most, step.scratchSize), 0);
    return {
      run: (values) => {
        input.set(values);
        const scratch = this.heapScratch.scratch(scratchSize);
        for (const { step, buffers } of steps) step.run(buffers, scratch);
        return copyOutputs(plan, outputs);
      },
    };
  }

  /**
   * Slots, descriptors, task lists and scratch in the arena; steps run as WebAssembly tasks, or as their JavaScript
   * kernel on views of the arena. undefined when the arena cannot hold them.
   */
  private bindInArena(plan: ExecutionPlan, arena: WasmArena): BoundPlan | undefined {
    const compiled = this.compileWasm(plan.graph, arena);
    if (compiled === undefined) return undefined;
    const regions = new ArenaRegions(arena);
    // Steps first: they compile their weights (offset lists), whose temporary regions the slots may then reuse
    // instead of fresh pages, which a cold start's first run would pay for.
    const wasmSteps = plan.steps.map((planStep) => compiled.get(planStep.node.name)?.(planStep));
    const failed = (step: WasmBoundStep | undefined, i: number) =>
      step === undefined && getWasmOp(plan.steps[i]!.node.op) !== undefined;
    if (wasmSteps.some(failed)) return regionsFailed(regions);
    const slots = plan.slots.map((size) => regions.allocate(4 * size));
    if (slots.some((slot) => slot === undefined)) return regionsFailed(regions);
    const address = (value: string) => slots[plan.valueSlot.get(value)!]!;
    const length = (value: string) => elementCount(plan.shapes.get(value)!);
    const threads = this.requestedThreads;
    const stepScratch = regions.allocate(wasmSteps.reduce((most, step) => Math.max(most, step?.scratchBytes(threads) ?? 0), 0));
    const threadStride = Math.ceil(wasmSteps.reduce((most, step) => Math.max(most, step?.threadScratchBytes ?? 0), 0) / 16) * 16;
    const threadScratch = regions.allocate(threads * threadStride);
    if (stepScratch === undefined || threadScratch === undefined) return regionsFailed(regions);
    type Phase = { readonly tasks: Int32Array; readonly address: number };
    type ArenaStep = ({ readonly phases: Phase[] } | { readonly js: BoundStep; readonly values: readonly string[] }) & {
      readonly node: GraphNode;
    };
    const steps: ArenaStep[] = [];
    for (const [i, planStep] of plan.steps.entries()) {
      const { node } = planStep;
      const wasmStep = wasmSteps[i];
      if (wasmStep === undefined) {
        // Only the ops without WebAssembly kernels (cheap, weightless ones) are compiled for JavaScript.
        steps.push({ node, js: requiredFastOp(node.op)(node, plan.graph)(planStep), values: [...node.inputs, node.outputs[0]!] });
        continue;
      }
      const io = { inputs: node.inputs.map(address), output: address(node.outputs[0]!), scratch: stepScratch };
      const phases = wasmStep.phases(io, regions, threads)?.map((tasks) => ({ tasks, address: regions.store(tasks) }));
      if (phases === undefined || phases.some(({ address }) => address === undefined)) return regionsFailed(regions);
      steps.push({ node, phases: phases as Phase[] });
    }
    this.finalizer.register(plan, regions);
    const jsScratchSize = steps.reduce((most, step) => Math.max(most, 'js' in step ? step.js.scratchSize : 0), 0);
    const view = (value: string) => arena.f32(address(value), length(value));
    return {
      run: (values) => {
        this.pool?.wake();
        // Views are made per run: binding another plan may have grown (and so detached) the memory since.
        view(plan.graph.input.name).set(values);
        const { onStep, onPhase } = this;
        for (const step of steps) {
          const started = onStep && performance.now();
          if ('phases' in step) {
            const pool = this.pool;
            for (let phase = 0; phase < step.phases.length; phase++) {
              const { tasks, address } = step.phases[phase]!;
              const phaseStarted = onPhase && performance.now();
              if (pool) pool.run(tasks, address, threadScratch, threadStride);
              else arena.runTasks(tasks, threadScratch);
              if (onPhase) onPhase(step.node, phase, TASK_NAMES[tasks[0]!] ?? '', performance.now() - phaseStarted!);
            }
          } else {
            const [output, ...inputs] = [step.values[step.values.length - 1]!, ...step.values.slice(0, -1)].map(view);
            step.js.run({ inputs, output: output! }, this.heapScratch.scratch(jsScratchSize));
          }
          if (onStep) onStep(step.node, performance.now() - started!);
        }
        return copyOutputs(plan, new Map(plan.graph.outputs.map((value) => [value, view(value)])));
      },
    };
  }
}

type WasmCompiledNode = NonNullable<ReturnType<WasmOp>>;

/**
 * Multiply-adds per image below which one thread is faster: handing out a phase costs tens of microseconds, and
 * LeNet-5 (~0.4 M) runs whole in under a millisecond.
 */
const THREADS_MIN_WORK = 5_000_000;

/** Whether `graph` (optimized) has enough work per image for helper threads to pay off. */
export function threadsPayOff(graph: Graph): boolean {
  return multiplyAddsPerImage(graph) >= THREADS_MIN_WORK;
}

/** The conv2d/dense work of one image of `graph` (optimized): a ternary layer's adds count as multiply-adds. */
export function multiplyAddsPerImage(graph: Graph): number {
  const shapes = inferShapes(graph, 1);
  let work = 0;
  for (const node of graph.nodes) {
    const weight = node.params.weight === undefined ? undefined : graph.tensors.get(node.params.weight);
    if (weight === undefined) continue;
    const output = shapes.get(node.outputs[0]!)!;
    work += (elementCount(weight.shape) * elementCount(output)) / (weight.shape[0] ?? 1);
  }
  return work;
}

/** How long threadInfo() waits for helpers to compile the kernels (they join whenever they are ready anyway). */
const HELPER_START_MS = 10_000;

/** Whether this thread may block in Atomics.wait: Node and workers may, a web page's own thread may not. */
function mayBlock(): boolean {
  const scope = globalThis as { document?: unknown; process?: { versions?: { node?: string } } };
  return scope.process?.versions?.node !== undefined || scope.document === undefined;
}

function regionsFailed(regions: ArenaRegions): undefined {
  regions.releaseAll();
  return undefined;
}

function requiredFastOp(type: string) {
  const op = getFastOp(type);
  if (op === undefined) throw new Error(`FastCpuExecutor has no kernel for op "${type}"`);
  return op;
}

function copyOutputs(plan: ExecutionPlan, outputs: ReadonlyMap<string, Float32Array>): Map<string, FastTensor> {
  return new Map([...outputs].map(([value, data]) => [value, { shape: plan.shapes.get(value)!, data: data.slice() }]));
}

function isPlan(model: Graph | ExecutionPlan): model is ExecutionPlan {
  return 'steps' in model;
}
