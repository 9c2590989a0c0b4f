import type { Graph, GraphNode } from '../../graph/ir.js';
import type { PlanStep } from '../../plan/plan.js';
import type { ArenaRegions } from './wasm/arena.js';

/** One step's buffers: views of the plan's slots, each exactly its value's element count, made once per plan. */
export interface StepBuffers {
  readonly inputs: readonly Float32Array[];
  readonly output: Float32Array;
}

/** A compiled node fixed to one plan step's shapes: what runs on every call. */
export interface BoundStep {
  readonly scratchSize: number;
  /** `scratch`: at least `scratchSize` floats, contents undefined (HeapScratch). */
  run(buffers: StepBuffers, scratch: Float32Array): void;
}

/** A node compiled once per graph (weights in their fast form); binding fixes the shapes of one plan. */
export type CompiledNode = (step: PlanStep) => BoundStep;

/** How one op type compiles for the JavaScript kernels: weights and attributes are read here, never per run. */
export type FastOp = (node: GraphNode, graph: Graph) => CompiledNode;

/** Shapes the planner has already checked, unpacked for a kernel. */
export function shapeOf(shapes: readonly (readonly number[])[], index: number): readonly number[] {
  const shape = shapes[index];
  if (shape === undefined) throw new Error(`plan step has no shape at ${index}`);
  return shape;
}

/** Byte addresses of one step's values in the arena, and of the scratch its tasks share. */
export interface WasmStepIo {
  readonly inputs: readonly number[];
  readonly output: number;
  readonly scratch: number;
}

/** A node bound to one plan step for the WebAssembly kernels. */
export interface WasmBoundStep {
  /** Bytes of scratch the step's tasks share in a plan cut for `threads` (a conv2d's padded grids, one per thread). */
  scratchBytes(threads: number): number;
  /** Bytes of scratch each thread needs for itself (a conv2d's sums). */
  readonly threadScratchBytes: number;
  /**
   * The step's phases in order, each a list of tasks (kernels.ts TASK_INTS each) that may run in any order on any
   * thread; descriptors go into `regions`, which live as long as the plan. undefined when the arena is full.
   */
  phases(io: WasmStepIo, regions: ArenaRegions, threads: number): Int32Array[] | undefined;
}

/**
 * The int16 quantiser of a ternary layer's input (docs/FORMAT.md §7.1): codes q = clamp(roundTiesToEven(x·scale),
 * −qmax, qmax) with scale = qmax/r in float32, and `step` = r/qmax, by which the epilogue turns sums into floats.
 */
export interface Int16Quantiser {
  readonly scale: number;
  readonly qmax: number;
  readonly step: number;
}

/**
 * How one op type compiles for the WebAssembly kernels, weights into `regions` (they live as long as the graph);
 * undefined for the ops that run their JavaScript kernel on views of the arena (cheap elementwise ones). `int16`: run
 * the layer on int16 codes of its input (ternary conv2d/dense only; other ops and float weights ignore it).
 */
export type WasmOp = (
  node: GraphNode,
  graph: Graph,
  regions: ArenaRegions,
  int16?: Int16Quantiser,
) => ((step: PlanStep) => WasmBoundStep | undefined) | undefined;
