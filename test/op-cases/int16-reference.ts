/**
 * The independent reference for int16 runs (docs/FORMAT.md §7.1): the float64 reference ops on fake-quantised inputs
 * of the ternary layers, x → q·r/qmax with q = clamp(roundTiesToEven(x·s), ±qmax), and a calibration (max|x| per
 * ternary layer's input on given images) to build files with. Plain functions, no test framework.
 */
import type { Int16Quantiser } from '../../src/backends/cpu-fast/kernel.js';
import { isTernaryLayer } from '../../src/graph/int16.js';
import type { Graph } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import type { RefTensor } from '../../src/ops/op.js';
import { getOp } from '../../src/ops/registry.js';
import { planGraph } from '../../src/plan/plan.js';

/** roundTiesToEven, as IEEE 754 and f32x4.nearest round. */
export function roundTiesToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return fraction < 0.5 ? floor : floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** s = qmax/r as float32, as the runtime derives it from a file's range. */
export function quantiser(range: number, bits: number): Int16Quantiser {
  const qmax = 2 ** (bits - 1) - 1;
  return { scale: Math.fround(qmax / range), qmax, step: range / qmax };
}

/**
 * x → q·r/qmax, with x·s formed in float32 as the kernels form it from their float32 activations. (Where x·s lies
 * within float32 rounding of a half-integer, a float32 run's x may still round to the other code: tests use random
 * inputs, on which that is rare enough to stay far below their tolerance.)
 */
export function fakeQuantised(tensor: RefTensor, { scale, qmax, step }: Int16Quantiser): RefTensor {
  const code = (x: number) => roundTiesToEven(Math.fround(Math.fround(x) * scale));
  const data = tensor.data.map((x) => Math.max(-qmax, Math.min(qmax, code(x))) * step);
  return { shape: tensor.shape, data };
}

/**
 * Runs `graph` (optimized here) on the float64 reference ops; `quantisers` by node name fake-quantise those layers'
 * first input. Also returns max|x| of every ternary layer's first input (unquantised), for calibrating.
 */
export function referenceRun(
  graph: Graph,
  input: Float32Array,
  batch: number,
  quantisers: ReadonlyMap<string, Int16Quantiser> = new Map(),
): { outputs: Map<string, RefTensor>; inputMaxima: Map<string, number> } {
  const plan = planGraph(optimize(graph), batch);
  const values = new Map<string, RefTensor>([
    [plan.graph.input.name, { shape: plan.shapes.get(plan.graph.input.name)!, data: Float64Array.from(input) }],
  ]);
  const inputMaxima = new Map<string, number>();
  for (const { node } of plan.steps) {
    const inputs = node.inputs.map((value) => values.get(value)!);
    if (isTernaryLayer(plan.graph, node)) {
      inputMaxima.set(node.name, inputs[0]!.data.reduce((most, x) => Math.max(most, Math.abs(x)), 0));
      const int16 = quantisers.get(node.name);
      if (int16 !== undefined) inputs[0] = fakeQuantised(inputs[0]!, int16);
    }
    const outputs = getOp(node.op)!.reference(inputs, node, plan.graph);
    node.outputs.forEach((value, i) => values.set(value, outputs[i]!));
  }
  return { outputs: new Map(plan.graph.outputs.map((value) => [value, values.get(value)!])), inputMaxima };
}

/** `metadata.int16` for `graph`: each ternary layer's range is its inputs' max|x| over `input`. */
export function calibration(graph: Graph, input: Float32Array, batch: number, bits: number) {
  const { inputMaxima } = referenceRun(graph, input, batch);
  return { bits, inputRanges: Object.fromEntries(inputMaxima) };
}

/** The quantisers a file's `metadata.int16` (as `calibration` makes it) stands for. */
export function quantisersOf(int16: ReturnType<typeof calibration>): Map<string, Int16Quantiser> {
  return new Map(Object.entries(int16.inputRanges).map(([name, range]) => [name, quantiser(range, int16.bits)]));
}
