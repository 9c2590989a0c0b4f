/**
 * The graph IR every stage shares: the format reader produces it, passes rewrite it, planners and backends consume it.
 * Values (activations) are named; tensors (weights) are looked up by the names in `node.params`.
 */

export type DType = 'f32' | 'ternary2';

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** f32 → Float32Array of product(shape); ternary2 → rows of ceil(K/16) u32 words per output channel (docs/FORMAT.md §5). */
  readonly data: Float32Array | Uint32Array;
}

export type Activation = 'none' | 'relu';
export type AttrValue = number | string | boolean | readonly number[] | readonly string[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface GraphNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
  /** role → tensor name, e.g. { weight: 'conv1.weight', alpha: 'conv1.alpha' } */
  readonly params: Readonly<Record<string, string>>;
}

export interface InputSpec {
  readonly name: string;
  /** [C, H, W]; the batch N is chosen per run. */
  readonly shape: readonly [number, number, number];
  readonly colorLayout: 'gray' | 'rgb';
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly labels: readonly string[];
}

export interface Graph {
  readonly input: InputSpec;
  /** Topologically ordered. */
  readonly nodes: readonly GraphNode[];
  readonly outputs: readonly string[];
  readonly tensors: ReadonlyMap<string, Tensor>;
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * Set by `optimize` (src/graph/passes/optimize.ts) on its result, so the passes run once per model however many
   * stages receive the graph; it survives the structured clone that carries a graph to the CPU worker.
   */
  readonly optimized?: true;
}
