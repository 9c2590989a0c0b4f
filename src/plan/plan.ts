import { TwnInputError } from '../errors.js';
import type { Graph, GraphNode } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import { getOp } from '../ops/registry.js';
import { elementCount } from '../ops/tensor.js';

/**
 * Default of the `maxRunBytes` limit: 2 GiB of float32 activations per run. Enough for ResNet-18 on 224×224 images
 * at batch 128; a batch that needs more is refused before anything is allocated instead of exhausting memory.
 */
export const DEFAULT_MAX_RUN_BYTES = 2 ** 31;

/** Bytes per activation element in the plan's accounting: float32, as the fast CPU and WebGPU backends store them. */
export const PLANNED_BYTES_PER_ELEMENT = 4;

export interface RunLimits {
  /** Most bytes one run's activation buffers (every slot of its plan, as float32) may take. */
  readonly maxRunBytes?: number;
}

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
export function planGraph(graph: Graph, batch: number, limits: RunLimits = {}): ExecutionPlan {
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
  const free = new FreeSlots(slots);
  const valueSlot = new Map<string, number>();
  const assign = (value: string) => {
    const root = storage(value);
    const existing = valueSlot.get(root);
    if (existing !== undefined) {
      valueSlot.set(value, existing);
      return;
    }
    const size = elementCount(shapeOf(value));
    const slot = pinned.has(root) ? newSlot(slots, size) : free.take(size);
    valueSlot.set(value, slot);
  };

  assign(graph.input.name);
  graph.nodes.forEach((node, index) => {
    node.outputs.forEach(assign);
    for (const value of releasedAfter[index]!) free.release(valueSlot.get(value)!);
  });
  checkRunBytes(slots, batch, limits.maxRunBytes ?? DEFAULT_MAX_RUN_BYTES);
  return { graph, batch, steps, shapes, slots, valueSlot };
}

/** Refuses a plan whose buffers would exceed `maxRunBytes` (TwnInputError RUN_TOO_LARGE), before any is allocated. */
function checkRunBytes(slots: readonly number[], batch: number, maxRunBytes: number): void {
  const bytes = PLANNED_BYTES_PER_ELEMENT * slots.reduce((sum, elements) => sum + elements, 0);
  if (bytes > maxRunBytes) {
    throw new TwnInputError(
      'RUN_TOO_LARGE',
      `a run at batch ${batch} needs ${bytes} bytes of activations, more than maxRunBytes = ${maxRunBytes}`,
    );
  }
}

function newSlot(slots: number[], size: number): number {
  slots.push(size);
  return slots.length - 1;
}

/**
 * Free slots grouped by size, the sizes kept sorted: best fit is a binary search over distinct sizes instead of a scan
 * of every free slot, so a graph with many values alive at once (all of one size, typically) plans in linear time.
 */
class FreeSlots {
  private readonly sizes: number[] = [];
  private readonly slotsOfSize = new Map<number, number[]>();

  constructor(private readonly slots: number[]) {}

  release(slot: number): void {
    const size = this.slots[slot]!;
    const group = this.slotsOfSize.get(size);
    if (group !== undefined) {
      group.push(slot);
      return;
    }
    this.slotsOfSize.set(size, [slot]);
    this.sizes.splice(this.firstAtLeast(size), 0, size);
  }

  /** The smallest free slot holding `size`, else the largest grown to `size`, else a new one. */
  take(size: number): number {
    if (this.sizes.length === 0) return newSlot(this.slots, size);
    const fit = this.firstAtLeast(size);
    const sizeIndex = fit < this.sizes.length ? fit : this.sizes.length - 1;
    const found = this.sizes[sizeIndex]!;
    const group = this.slotsOfSize.get(found)!;
    const slot = group.pop()!;
    if (group.length === 0) {
      this.slotsOfSize.delete(found);
      this.sizes.splice(sizeIndex, 1);
    }
    this.slots[slot] = Math.max(found, size);
    return slot;
  }

  private firstAtLeast(size: number): number {
    let low = 0;
    let high = this.sizes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.sizes[mid]! < size) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
