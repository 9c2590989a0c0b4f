/**
 * The int16 calibration a file may carry (docs/FORMAT.md §7.1): the one place that reads `metadata.int16`, so the
 * planner, the cpu-fast kernels and the API see the same validated, typed object.
 */
import { TwnFormatError } from '../errors.js';
import { member, validateInt16, type Int16Metadata } from '../format/header-schema.js';
import type { Graph, GraphNode } from './ir.js';

export interface Int16Calibration extends Int16Metadata {
  /** 2^(bits−1) − 1: codes are clamped to [−qmax, qmax]. */
  readonly qmax: number;
}

const INT16_PATH = '$.metadata.int16';

/**
 * The file's `metadata.int16`, validated (types as §7.1, and every named node a ternary conv2d/dense of this graph),
 * or undefined when the file has none. The graph reader calls it once, so a file with a bad key never loads; the
 * passes keep layer names, so it also answers for an optimized graph.
 */
export function int16Calibration(graph: Graph): Int16Calibration | undefined {
  if (graph.metadata.int16 === undefined) return undefined;
  const int16 = validateInt16(graph.metadata.int16, INT16_PATH);
  const nodes = new Map(graph.nodes.map((node) => [node.name, node]));
  for (const name of int16.inputRanges.keys()) {
    const node = nodes.get(name);
    if (node === undefined || !isTernaryLayer(graph, node)) {
      const what = node === undefined ? 'no node is named so' : `node "${name}" is a ${describeLayer(graph, node)}`;
      throw new TwnFormatError('BAD_CALIBRATION', `an int16 input range needs a ternary conv2d or dense: ${what}`, {
        path: `${INT16_PATH}.inputRanges${member(name)}`,
      });
    }
  }
  return { ...int16, qmax: 2 ** (int16.bits - 1) - 1 };
}

/** A conv2d or dense whose weight is `ternary2` (binary weights are stored that way too): the layers int16 covers. */
export function isTernaryLayer(graph: Graph, node: GraphNode): boolean {
  if (node.op !== 'conv2d' && node.op !== 'dense') return false;
  return graph.tensors.get(node.params.weight ?? '')?.dtype === 'ternary2';
}

/** The ternary layers of `graph` that the calibration gives no range: int16 cannot run while this is non-empty. */
export function layersWithoutRange(graph: Graph, calibration: Int16Calibration): string[] {
  const ranged = calibration.inputRanges;
  return graph.nodes.filter((node) => isTernaryLayer(graph, node) && !ranged.has(node.name)).map((node) => node.name);
}

/**
 * The quantiser's scale s = qmax / r, divided in double precision and rounded to float32 (§7.1): the kernels and the
 * exporter's simulation both use this value, so they agree on every code q = clamp(roundTiesToEven(x·s), ±qmax).
 */
export function int16Scale(range: number, qmax: number): number {
  return Math.fround(qmax / range);
}

function describeLayer(graph: Graph, node: GraphNode): string {
  if (node.op !== 'conv2d' && node.op !== 'dense') return `${node.op}, not a conv2d or dense`;
  return `${node.op} with a ${graph.tensors.get(node.params.weight ?? '')?.dtype ?? 'missing'} weight, not ternary2`;
}
