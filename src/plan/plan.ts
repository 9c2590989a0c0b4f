import type { Graph, GraphNode } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import { getOp } from '../ops/registry.js';
import { elementCount } from '../ops/tensor.js';

export interface PlanStep {
  readonly node: GraphNode;
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShapes: readonly (readonly number[])[];
}

/**
 * How to run a graph for one batch size, shared by the CPU and WebGPU executors: the steps in order with their
 * shapes, and buffer slots that values reuse once their last consumer has run. A backend allocates `slots` once
 * (element counts; a GPU backend multiplies by its element size) and replays the steps.
 */
export interface ExecutionPlan {
  readonly graph: Graph;
  readonly batch: number;
  readonly steps: readonly PlanStep[];
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Element count of each reusable buffer. */
  readonly slots: readonly number[];
  /** The slot of every value: the input, each node output. A flatten output shares its input's slot. */
  readonly valueSlot: ReadonlyMap<string, number>;
}

/**
 * Liveness-based slot assignment. A value's slot is released after its last consumer runs, and outputs of a step
 * are assigned before its inputs are released, so no step writes into a buffer it reads. The input and the graph
 * outputs get slots of their own that nothing else ever uses (callers write and read them between runs). Free
 * slots are reused best-fit: the smallest that is large enough, else the largest one grown to fit.
 */
export function planGraph(graph: Graph, batch: number): ExecutionPlan {
  const shapes = inferShapes(graph, batch);
  const shapeOf = (value: string) => shapes.get(value)!;
  const steps = graph.nodes.map((node) => ({
    node,
    inputShapes: node.inputs.map(shapeOf),
    outputShapes: node.outputs.map(shapeOf),
  }));

  // Values that alias another (flatten) live in their source's storage, which then lives as long as either.
  const storageOf = new Map<string, string>([[graph.input.name, graph.input.name]]);
  for (const node of graph.nodes) {
    const source = getOp(node.op)?.aliasesInput === true ? storageOf.get(node.inputs[0]!) : undefined;
    for (const value of node.outputs) storageOf.set(value, source ?? value);
  }
  const storage = (value: string) => storageOf.get(value)!;
  const pinned = new Set([graph.input.name, ...graph.outputs].map(storage));
  const lastStep = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const value of [...node.outputs, ...node.inputs]) lastStep.set(storage(value), index);
  });
  const releasedAfter = graph.nodes.map(() => [] as string[]);
  for (const [value, index] of lastStep) if (!pinned.has(value)) releasedAfter[index]!.push(value);

  const slots: number[] = [];
  const free: number[] = [];
  const valueSlot = new Map<string, number>();
  const assign = (value: string) => {
    const root = storage(value);
    const existing = valueSlot.get(root);
    if (existing !== undefined) {
      valueSlot.set(value, existing);
      return;
    }
    const size = elementCount(shapeOf(value));
    const slot = pinned.has(root) ? newSlot(slots, size) : reuseSlot(slots, free, size);
    valueSlot.set(value, slot);
  };

  assign(graph.input.name);
  graph.nodes.forEach((node, index) => {
    node.outputs.forEach(assign);
    for (const value of releasedAfter[index]!) free.push(valueSlot.get(value)!);
  });
  return { graph, batch, steps, shapes, slots, valueSlot };
}

function newSlot(slots: number[], size: number): number {
  slots.push(size);
  return slots.length - 1;
}

function reuseSlot(slots: number[], free: number[], size: number): number {
  if (free.length === 0) return newSlot(slots, size);
  const fitting = free.filter((slot) => slots[slot]! >= size);
  const bySize = (a: number, b: number) => slots[a]! - slots[b]!;
  const slot = fitting.length > 0 ? fitting.sort(bySize)[0]! : free.sort(bySize)[free.length - 1]!;
  free.splice(free.indexOf(slot), 1);
  slots[slot] = Math.max(slots[slot]!, size);
  return slot;
}
