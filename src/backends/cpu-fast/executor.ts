import { TwnInputError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import { optimize } from '../../graph/passes/optimize.js';
import { elementCount, formatShape } from '../../ops/tensor.js';
import { BatchCache } from '../../plan/batch-cache.js';
import { planGraph, type ExecutionPlan, type RunLimits } from '../../plan/plan.js';
import type { BoundStep, CompiledNode, StepBuffers } from './kernel.js';
import { getFastOp } from './ops.js';
import { HeapScratch, type ScratchSpace } from './scratch.js';
import { WasmArena } from './wasm/arena.js';

export interface FastTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A plan with its buffers: one Float32Array per slot, a view per value; reused by every run. */
interface BoundPlan {
  readonly input: Float32Array;
  readonly steps: readonly { readonly step: BoundStep; readonly buffers: StepBuffers }[];
  readonly outputs: ReadonlyMap<string, Float32Array>;
  /** The most scratch any step needs. */
  readonly scratchSize: number;
}

/** Which inner loops the conv2d/dense layers run: WebAssembly SIMD where the engine has it, JavaScript otherwise. */
export type CpuKernels = 'wasm-simd' | 'js';

export interface FastCpuOptions extends RunLimits {
  /** 'js' forces the JavaScript kernels (tests compare the two); default: WebAssembly SIMD where available. */
  readonly kernels?: CpuKernels;
}

/**
 * The fast CPU backend: float32, single thread, for users whose WebGPU adapter is a software one. Same contract as
 * CpuExecutor (a Graph is optimized and planned per batch; an ExecutionPlan runs as given), but work happens once:
 * each graph is compiled on first use (ternary codes → index lists, epilogue constants), each plan bound once
 * (buffers from its slots, tiles sized to its shapes). A run then allocates only the output arrays it returns.
 * Buffers stay alive for as long as their plan is referenced: a caller's plan while the caller keeps it, a plan made
 * here while its batch size is among the BATCH_SIZES_KEPT most recently run for that graph.
 */
export class FastCpuExecutor {
  /** The kernels this executor actually runs. */
  readonly kernels: CpuKernels;
  private readonly arena: WasmArena | undefined;
  private readonly scratch: ScratchSpace;
  private readonly compiled = new WeakMap<Graph, ReadonlyMap<string, CompiledNode>>();
  private readonly optimized = new WeakMap<Graph, { graph: Graph; plans: BatchCache<ExecutionPlan> }>();
  private readonly bound = new WeakMap<ExecutionPlan, BoundPlan>();
  private readonly limits: RunLimits;

  constructor(options: FastCpuOptions = {}) {
    this.limits = { maxRunBytes: options.maxRunBytes };
    this.arena = options.kernels === 'js' ? undefined : WasmArena.create();
    this.kernels = this.arena === undefined ? 'js' : 'wasm-simd';
    this.scratch = this.arena ?? new HeapScratch();
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
    const bound = this.bind(plan);
    bound.input.set(input);
    const scratch = this.scratch.scratch(bound.scratchSize);
    for (const { step, buffers } of bound.steps) step.run(buffers, scratch);
    return new Map(
      [...bound.outputs].map(([value, data]) => [value, { shape: plan.shapes.get(value)!, data: data.slice() }]),
    );
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

  private compile(graph: Graph): ReadonlyMap<string, CompiledNode> {
    let nodes = this.compiled.get(graph);
    if (nodes === undefined) {
      nodes = new Map(
        graph.nodes.map((node) => {
          const op = getFastOp(node.op);
          if (op === undefined) throw new Error(`FastCpuExecutor has no kernel for op "${node.op}"`);
          return [node.name, op(node, graph, this.arena)];
        }),
      );
      this.compiled.set(graph, nodes);
    }
    return nodes;
  }

  private bind(plan: ExecutionPlan): BoundPlan {
    const existing = this.bound.get(plan);
    if (existing !== undefined) return existing;
    const compiled = this.compile(plan.graph);
    const slots = plan.slots.map((size) => new Float32Array(size));
    const view = (value: string) => slots[plan.valueSlot.get(value)!]!.subarray(0, elementCount(plan.shapes.get(value)!));
    const steps = plan.steps.map((planStep) => ({ step: compiled.get(planStep.node.name)!(planStep), planStep }));
    const bound: BoundPlan = {
      input: view(plan.graph.input.name),
      steps: steps.map(({ step, planStep }) => ({
        step,
        buffers: { inputs: planStep.node.inputs.map(view), output: view(planStep.node.outputs[0]!) },
      })),
      outputs: new Map(plan.graph.outputs.map((value) => [value, view(value)])),
      scratchSize: steps.reduce((most, { step }) => Math.max(most, step.scratchSize), 0),
    };
    this.bound.set(plan, bound);
    return bound;
  }
}

function isPlan(model: Graph | ExecutionPlan): model is ExecutionPlan {
  return 'steps' in model;
}
