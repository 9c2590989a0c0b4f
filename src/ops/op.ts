import { TwnFormatError } from '../errors.js';
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
  /** Input roles as a file stores them (docs/FORMAT.md §4). */
  readonly inputs: readonly string[];
  /** Optional trailing inputs that only graph passes create (conv2d/dense `residual`); a file may not list them. */
  readonly fusedInputs: readonly string[];
  /** False for ops that exist only in the IR (`normalize`): a file listing them is rejected as UNKNOWN_OP. */
  readonly storable: boolean;
  /** The output is the input's data under another shape (flatten): the planner gives both one buffer slot. */
  readonly aliasesInput?: boolean;
  /** Check attrs/params of a node; return its attrs with defaults filled. Throws TwnFormatError (path under `where`). */
  normalize(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, where: string): GraphNode['attrs'];
  /** Output shapes (batch included) from input shapes. Throws TwnFormatError SHAPE_MISMATCH. */
  inferShapes(inputShapes: readonly (readonly number[])[], node: GraphNode, graph: Graph, where: string): number[][];
  /** Float64 reference. */
  reference(inputs: readonly RefTensor[], node: GraphNode, graph: Graph): RefTensor[];
}

/** Where an IR node that did not come from a file is reported. */
export function describeNode(node: GraphNode): string {
  return `node "${node.name}"`;
}

/**
 * Every op produces one value. A file node must list exactly the stored inputs; an IR node may add the fused ones.
 * Wrong counts are a header-schema problem (SCHEMA), reported at the node's inputs/outputs.
 */
export function checkArity(op: OpDef, node: GraphNode, where: string, allowFused: boolean): void {
  const min = op.inputs.length;
  const max = min + (allowFused ? op.fusedInputs.length : 0);
  if (node.inputs.length < min || node.inputs.length > max) {
    const roles = [...op.inputs, ...(allowFused ? op.fusedInputs.map((r) => `${r}?`) : [])].join(', ');
    throw new TwnFormatError('SCHEMA', `${op.type} takes inputs (${roles}), got ${node.inputs.length}`, {
      path: `${where}.inputs`,
    });
  }
  if (node.outputs.length !== 1) {
    throw new TwnFormatError('SCHEMA', `${op.type} produces exactly 1 output, got ${node.outputs.length}`, {
      path: `${where}.outputs`,
    });
  }
}
