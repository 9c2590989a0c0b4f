import { TwnFormatError } from '../errors.js';
import { member } from '../format/header-schema.js';
import type { StoredNode, TwnFile } from '../format/types.js';
import { checkArity, type OpDef } from '../ops/op.js';
import { getOp } from '../ops/registry.js';
import type { Graph, GraphNode } from './ir.js';
import { freshName, takenNames } from './names.js';
import { elementCount } from '../ops/tensor.js';
import { inferShapes } from './shapes.js';
import { int16Calibration } from './int16.js';

const nodePath = (index: number) => `$.nodes[${index}]`;
/** A cycle error lists this many node names, so a message stays short however large the cycle. */
const CYCLE_NAMES_SHOWN = 8;

/**
 * Checks a file's graph semantics (docs/FORMAT.md §4, §8) and builds the IR: nodes in topological order with every
 * attribute defaulted, preceded by a `normalize` node built from the input spec. The stored input value feeds
 * `normalize`; stored nodes that read it read its output `<input>#normalized` instead (see names.ts).
 */
export function graphFromFile(file: TwnFile): Graph {
  const ops = file.nodes.map((node, index) => storedOp(node, index));
  checkNames(file);
  checkReferences(file);
  const attrs = file.nodes.map((node, index) => ops[index]!.normalize(node, file.tensors, nodePath(index)));
  checkOutputs(file);
  const order = topologicalOrder(file.nodes);

  const stored = { input: file.input, nodes: file.nodes, tensors: file.tensors };
  const taken = takenNames(stored);
  const normalizeNode: GraphNode = {
    name: freshName(`${file.input.name}#normalize`, taken),
    op: 'normalize',
    inputs: [file.input.name],
    outputs: [freshName(`${file.input.name}#normalized`, taken)],
    attrs: { mean: file.input.mean, std: file.input.std },
    params: {},
  };
  const normalized = normalizeNode.outputs[0]!;
  const paths = new Map<GraphNode, string>([[normalizeNode, '$.input']]);
  const nodes = [normalizeNode];
  for (const index of order) {
    const node = file.nodes[index]!;
    const irNode: GraphNode = {
      name: node.name,
      op: node.op,
      inputs: node.inputs.map((value) => (value === file.input.name ? normalized : value)),
      outputs: [...node.outputs],
      attrs: attrs[index]!,
      params: { ...node.params },
    };
    paths.set(irNode, nodePath(index));
    nodes.push(irNode);
  }
  const graph: Graph = {
    input: file.input,
    nodes,
    outputs: [...file.outputs],
    tensors: file.tensors,
    metadata: file.metadata,
  };
  const shapes = inferShapes(graph, 1, (node) => paths.get(node)!);
  checkLabels(file, shapes.get(file.outputs[0]!)!);
  int16Calibration(graph);
  return graph;
}

/** `input.labels` is empty, or names every class: one label per value of the first output (FORMAT.md §3). */
function checkLabels(file: TwnFile, firstOutputShape: readonly number[]): void {
  const classes = elementCount(firstOutputShape.slice(1));
  const labels = file.input.labels.length;
  if (labels !== 0 && labels !== classes) {
    const message = `${labels} labels, but output "${file.outputs[0]}" has ${classes} values per image`;
    throw new TwnFormatError('BAD_OUTPUT', message, { path: '$.input.labels' });
  }
}

function storedOp(node: StoredNode, index: number): OpDef {
  const op = getOp(node.op);
  if (op === undefined || !op.storable) {
    const why = op === undefined ? 'is not an op' : 'exists only in the IR (the input spec states normalisation)';
    throw new TwnFormatError('UNKNOWN_OP', `"${node.op}" ${why}`, { path: `${nodePath(index)}.op` });
  }
  checkArity(op, node, nodePath(index), false);
  return op;
}

function checkNames(file: TwnFile): void {
  const nodeNames = new Set<string>();
  const values = new Set<string>([file.input.name]);
  file.nodes.forEach((node, index) => {
    if (nodeNames.has(node.name)) {
      throw new TwnFormatError('DUPLICATE_NAME', `two nodes are named "${node.name}"`, { path: `${nodePath(index)}.name` });
    }
    nodeNames.add(node.name);
    node.outputs.forEach((value, i) => {
      if (values.has(value)) {
        const what = value === file.input.name ? 'is the input' : 'is already produced by another node';
        throw new TwnFormatError('DUPLICATE_NAME', `value "${value}" ${what}`, { path: `${nodePath(index)}.outputs[${i}]` });
      }
      values.add(value);
    });
  });
}

function checkReferences(file: TwnFile): void {
  const values = new Set<string>([file.input.name, ...file.nodes.flatMap((node) => node.outputs)]);
  const usedTensors = new Set<string>();
  file.nodes.forEach((node, index) => {
    node.inputs.forEach((value, i) => {
      if (!values.has(value)) {
        throw new TwnFormatError('UNDEFINED_INPUT', `no node produces "${value}" and it is not the input`, {
          path: `${nodePath(index)}.inputs[${i}]`,
        });
      }
    });
    for (const [role, tensorName] of Object.entries(node.params)) {
      if (!file.tensors.has(tensorName)) {
        throw new TwnFormatError('UNDEFINED_INPUT', `tensor "${tensorName}" is not in the tensor table`, {
          path: `${nodePath(index)}.params${member(role)}`,
        });
      }
      usedTensors.add(tensorName);
    }
  });
  for (const tensorName of file.tensors.keys()) {
    if (!usedTensors.has(tensorName)) {
      throw new TwnFormatError('UNUSED_TENSOR', `no node uses tensor "${tensorName}"`, { path: `$.tensors${member(tensorName)}` });
    }
  }
}

function checkOutputs(file: TwnFile): void {
  const produced = new Set(file.nodes.flatMap((node) => node.outputs));
  const seen = new Set<string>();
  file.outputs.forEach((value, i) => {
    if (!produced.has(value)) {
      throw new TwnFormatError('BAD_OUTPUT', `no node produces output "${value}"`, { path: `$.outputs[${i}]` });
    }
    if (seen.has(value)) throw new TwnFormatError('BAD_OUTPUT', `output "${value}" is listed twice`, { path: `$.outputs[${i}]` });
    seen.add(value);
  });
}

/**
 * Indices of the nodes in an order where every node comes after the producers of its inputs, in O(nodes + edges):
 * a file that is already in such an order keeps it; otherwise Kahn's algorithm with a first-in first-out queue seeded
 * in file order. Nodes left over are on or behind a cycle (CYCLE, naming the first few).
 */
function topologicalOrder(nodes: readonly StoredNode[]): number[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, index) => node.outputs.forEach((value) => producer.set(value, index)));
  const readsOnlyEarlier = (node: StoredNode, index: number) =>
    node.inputs.every((value) => (producer.get(value) ?? -1) < index);
  const listedOrderWorks = nodes.every(readsOnlyEarlier);
  if (listedOrderWorks) return nodes.map((_, index) => index);

  const consumers: number[][] = nodes.map(() => []);
  const pending = nodes.map((node, index) => {
    let count = 0;
    for (const value of node.inputs) {
      const p = producer.get(value);
      if (p === undefined) continue;
      consumers[p]!.push(index);
      count++;
    }
    return count;
  });
  const order: number[] = [];
  pending.forEach((count, index) => {
    if (count === 0) order.push(index);
  });
  // `order` doubles as the queue: entries before `head` are placed, the rest are ready.
  for (let head = 0; head < order.length; head++) {
    for (const consumer of consumers[order[head]!]!) {
      if (--pending[consumer]! === 0) order.push(consumer);
    }
  }
  if (order.length < nodes.length) {
    const stuck = pending.flatMap((count, index) => (count > 0 ? [index] : []));
    const shown = stuck.slice(0, CYCLE_NAMES_SHOWN).map((index) => `"${nodes[index]!.name}"`).join(', ');
    const more = stuck.length > CYCLE_NAMES_SHOWN ? ` and ${stuck.length - CYCLE_NAMES_SHOWN} more` : '';
    throw new TwnFormatError('CYCLE', `the nodes cannot be ordered: ${shown}${more} are on or behind a cycle`, {
      path: nodePath(stuck[0]!),
    });
  }
  return order;
}
