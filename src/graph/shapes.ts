import { TwnFormatError, TwnInputError } from '../errors.js';
import { checkArity, describeNode } from '../ops/op.js';
import { elementCount, formatShape } from '../ops/tensor.js';
import { getOp } from '../ops/registry.js';
import type { Graph, GraphNode } from './ir.js';

/**
 * Most elements one value may hold per sample (docs/FORMAT.md §8): 256 MiB as float32, the smallest maxBufferSize a
 * WebGPU device may have. Shapes cost no bytes in a file, so without this a few hundred bytes (a 200000×200000 input,
 * a conv that multiplies channels) could make a backend allocate gigabytes.
 */
export const MAX_VALUE_ELEMENTS = 2 ** 26;

export function checkBatch(batch: number): void {
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new TwnInputError('INPUT_SHAPE', `batch must be a positive integer, got ${batch}`);
  }
}

/**
 * The shape of every value (the input included) for `batch` samples, node by node in the graph's order.
 * `where` names a node in errors: a JSON path when the graph came from a file.
 */
export function inferShapes(
  graph: Graph,
  batch: number,
  where: (node: GraphNode) => string = describeNode,
): Map<string, number[]> {
  checkBatch(batch);
  const shapes = new Map<string, number[]>([[graph.input.name, [batch, ...graph.input.shape]]]);
  checkSize(graph.input.shape, 'the input', '$.input.shape');
  for (const node of graph.nodes) {
    const op = getOp(node.op);
    if (op === undefined) throw new TwnFormatError('UNKNOWN_OP', `unknown op "${node.op}"`, { path: `${where(node)}.op` });
    checkArity(op, node, where(node), true);
    const inputShapes = node.inputs.map((value, i) => {
      const shape = shapes.get(value);
      if (shape === undefined) {
        throw new TwnFormatError('UNDEFINED_INPUT', `input "${value}" is not produced before this node`, {
          path: `${where(node)}.inputs[${i}]`,
        });
      }
      return shape;
    });
    const outputShapes = op.inferShapes(inputShapes, node, graph, where(node));
    node.outputs.forEach((value, i) => {
      checkSize(outputShapes[i]!.slice(1), `output "${value}"`, where(node));
      shapes.set(value, outputShapes[i]!);
    });
  }
  return shapes;
}

function checkSize(perSample: readonly number[], what: string, path: string): void {
  const count = elementCount(perSample);
  if (count > MAX_VALUE_ELEMENTS) {
    throw new TwnFormatError('VALUE_TOO_LARGE', `${what} ${formatShape(perSample)} holds ${count} elements per sample, more than ${MAX_VALUE_ELEMENTS}`, { path });
  }
}
