import type { Graph, GraphNode } from '../../graph/ir.js';
import type { PlanStep } from '../../plan/plan.js';

/** One step's buffers: views of the plan's slots, each exactly its value's element count, made once per plan. */
export interface StepBuffers {
  readonly inputs: readonly Float32Array[];
  readonly output: Float32Array;
  /** Shared by every step of the plan (they run one at a time); at least as large as any step's `scratchSize`. */
  readonly scratch: Float32Array;
}

/** A compiled node fixed to one plan step's shapes: what runs on every call. */
export interface BoundStep {
  readonly scratchSize: number;
  run(buffers: StepBuffers): void;
}

/** A node compiled once per graph (weights in their fast form); binding fixes the shapes of one plan. */
export type CompiledNode = (step: PlanStep) => BoundStep;

/** How one op type compiles: weights and attributes are read here, never per run. */
export type FastOp = (node: GraphNode, graph: Graph) => CompiledNode;

/** Shapes the planner has already checked, unpacked for a kernel. */
export function shapeOf(shapes: readonly (readonly number[])[], index: number): readonly number[] {
  const shape = shapes[index];
  if (shape === undefined) throw new Error(`plan step has no shape at ${index}`);
  return shape;
}
