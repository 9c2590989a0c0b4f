import { expect } from 'vitest';
import { packTernary } from '../../src/format/ternary-pack.js';
import type { Attrs, Graph, GraphNode, Tensor } from '../../src/graph/ir.js';
import { mulberry32 } from '../../src/models/random.js';
import type { RefTensor } from '../../src/ops/op.js';
import { getOp } from '../../src/ops/registry.js';

export type Rng = () => number;

export function rng(seed: number): Rng {
  return mulberry32(seed);
}

export function uniform(random: Rng, count: number, low = -1, high = 1): number[] {
  return Array.from({ length: count }, () => low + (high - low) * random());
}

/** Signs −1/0/+1 with roughly the sparsity a trained TWN has. */
export function randomSigns(random: Rng, count: number): number[] {
  return Array.from({ length: count }, () => {
    const u = random();
    return u < 0.3 ? -1 : u < 0.6 ? 0 : 1;
  });
}

export function f32(values: readonly number[], shape: readonly number[]): Tensor {
  return { dtype: 'f32', shape: [...shape], data: Float32Array.from(values) };
}

export function ternary(signs: readonly number[], shape: readonly number[]): Tensor {
  return { dtype: 'ternary2', shape: [...shape], data: packTernary(signs, shape) };
}

export function refTensor(values: readonly number[] | Float64Array, shape: readonly number[]): RefTensor {
  return { shape: [...shape], data: Float64Array.from(values) };
}

export function makeNode(
  op: string,
  inputs: readonly string[],
  output: string,
  attrs: Attrs = {},
  params: Record<string, string> = {},
): GraphNode {
  return { name: output, op, inputs: [...inputs], outputs: [output], attrs, params };
}

/** The smallest Graph an op reference needs: just the tensor table. */
export function tensorsOnly(tensors: ReadonlyMap<string, Tensor>): Graph {
  return {
    input: { name: 'input', shape: [1, 1, 1], colorLayout: 'gray', mean: [0], std: [1], labels: [] },
    nodes: [],
    outputs: [],
    tensors,
    metadata: {},
  };
}

/**
 * Runs one op as the runtime does: normalize (defaults), shape rule, reference; checks the reference's output shape
 * against the shape rule.
 */
export function runOp(node: GraphNode, inputs: readonly RefTensor[], tensors: ReadonlyMap<string, Tensor> = new Map()): RefTensor {
  const op = getOp(node.op);
  if (op === undefined) throw new Error(`no op ${node.op}`);
  const graph = tensorsOnly(tensors);
  const normalized = { ...node, attrs: op.normalize(node, tensors, 'test') };
  const [shape] = op.inferShapes(
    inputs.map((input) => input.shape),
    normalized,
    graph,
    'test',
  );
  const [output] = op.reference(inputs, normalized, graph);
  expect(output!.shape).toEqual(shape);
  return output!;
}

/** Elementwise |a − e| ≤ tolerance·max(1, |e|). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e)))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (tolerance ${tolerance})`);
    }
  }
}
