import type { Graph, GraphNode } from '../../graph/ir.js';
import type { PlanStep } from '../../plan/plan.js';
import type { WasmArena } from './wasm/arena.js';

/** One step's buffers: views of the plan's slots, each exactly its value's element count, made once per plan. */
export interface StepBuffers {
  readonly inputs: readonly Float32Array[];
  readonly output: Float32Array;
}

/** A compiled node fixed to one plan step's shapes: what runs on every call. */
export interface BoundStep {
  readonly scratchSize: number;
  /** `scratch`: at least `scratchSize` floats, contents undefined (ScratchSpace). */
  run(buffers: StepBuffers, scratch: Float32Array): void;
}

/** A node compiled once per graph (weights in their fast form); binding fixes the shapes of one plan. */
export type CompiledNode = (step: PlanStep) => BoundStep;

/**
 * How one op type compiles: weights and attributes are read here, never per run. `arena` holds the WebAssembly
 * kernels where they can run (the linear layers use it; undefined means JavaScript only).
 */
export type FastOp = (node: GraphNode, graph: Graph, arena: WasmArena | undefined) => CompiledNode;

/** Shapes the planner has already checked, unpacked for a kernel. */
export function shapeOf(shapes: readonly (readonly number[])[], index: number): readonly number[] {
  const shape = shapes[index];
  if (shape === undefined) throw new Error(`plan step has no shape at ${index}`);
  return shape;
}
