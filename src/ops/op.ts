import type { Graph, GraphNode, Tensor } from '../graph/ir.js';

/** A dense float64 array used by the CPU reference: the meaning of every op. */
export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/**
 * One op, defined once: how its attributes are checked and defaulted, its shape rule, and its float64 reference.
 * GPU kernels live with their backend (src/backends/webgpu/kernels/) and are keyed by the same `type`.
 */
export interface OpDef {
  readonly type: string;
  /** Check attrs/params of a stored node; return its attrs with defaults filled. Throws TwnFormatError (path = `where`). */
  normalize(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, where: string): GraphNode['attrs'];
  /** Output shapes (batch included) from input shapes. Throws TwnFormatError SHAPE_MISMATCH. */
  inferShapes(inputShapes: readonly (readonly number[])[], node: GraphNode, graph: Graph, where: string): number[][];
  /** Float64 reference. */
  reference(inputs: readonly RefTensor[], node: GraphNode, graph: Graph): RefTensor[];
}
