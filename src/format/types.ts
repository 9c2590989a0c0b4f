import type { AttrValue, InputSpec, Tensor } from '../graph/ir.js';

/** A node exactly as stored in the header (docs/FORMAT.md §4): attributes not yet defaulted or range-checked. */
export interface StoredNode {
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  params: Record<string, string>;
}

/**
 * A `.twn` file after the format reader: layout, header schema, tensor table, ternary codes and checksum are valid.
 * Graph semantics (known ops, attributes, shapes, cycles) are checked next, by `src/graph/from-file.ts`.
 */
export interface TwnFile {
  input: InputSpec;
  outputs: string[];
  nodes: StoredNode[];
  tensors: Map<string, Tensor>;
  metadata: Record<string, unknown>;
}

export const TWN_MAGIC = [0x54, 0x57, 0x4e, 0x21] as const;
export const TWN_VERSION = 1;
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;
/**
 * Most nodes one graph may have (TOO_MANY_NODES). Real networks have hundreds; the bound keeps a hostile header from
 * making every later stage (graph checks, passes, plans, per-node kernels) do work in proportion to its size.
 */
export const MAX_NODES = 32_768;
/** Most tensors (TOO_MANY_TENSORS): every tensor is used by a node, and no op takes more than 4 params. */
export const MAX_TENSORS = 4 * MAX_NODES;
export const DATA_ALIGNMENT = 64;
