import { addAttrs } from '../../../ops/add.js';
import { elementCount } from '../../../ops/tensor.js';
import type { PlanStep } from '../../../plan/plan.js';
import { batchnormAffine, normalizeAffine, type ChannelAffine } from '../elementwise.js';
import { shapeOf, type WasmBoundStep, type WasmOp } from '../kernel.js';
import type { ArenaRegions } from './arena.js';
import { ELEMENTWISE_FIELDS } from './elementwise-kernels.js';
import { TASK } from './kernels.js';
import { streamingStep } from './tasks.js';

const f32Bits = (value: number): number => new Int32Array(Float32Array.of(value).buffer)[0]!;

/** One phase of `task` over items (floats, planes or rows) with the descriptor `fill` completes. */
function elementwiseStep(
  task: number,
  items: number,
  floatsPerItem: number,
  fill: (fields: Int32Array) => void,
): WasmBoundStep {
  const F = ELEMENTWISE_FIELDS;
  return streamingStep(task, items, floatsPerItem, F.SIZE, (fields, io) => {
    fields[F.IN] = io.inputs[0]!;
    fields[F.OTHER] = io.inputs[1] ?? 0;
    fields[F.OUT] = io.output;
    fill(fields);
  });
}

const floats = (step: PlanStep): number => elementCount(shapeOf(step.inputShapes, 0));

export const wasmRelu: WasmOp = () => (step) => elementwiseStep(TASK.relu, floats(step), 1, () => undefined);

export const wasmAdd: WasmOp = (node) => {
  const lower = f32Bits(addAttrs(node).activation === 'relu' ? 0 : -Infinity);
  return (step) =>
    elementwiseStep(TASK.add, floats(step), 1, (fields) => {
      fields[ELEMENTWISE_FIELDS.LOWER] = lower;
    });
};

/** The map's f64 constants in the arena for the life of the graph, then a task per range of planes. */
function channelAffineOp(affine: ChannelAffine, regions: ArenaRegions) {
  const factor = regions.store(new Int32Array(affine.factor.buffer));
  const offset = regions.store(new Int32Array(affine.offset.buffer));
  if (factor === undefined || offset === undefined) return undefined;
  return (step: PlanStep) => {
    const [batch = 1, channels = 1, ...rest] = shapeOf(step.inputShapes, 0);
    const plane = elementCount(rest);
    return elementwiseStep(TASK.channelAffine, batch * channels, plane, (fields) => {
      const F = ELEMENTWISE_FIELDS;
      [fields[F.PLANE], fields[F.CHANNELS], fields[F.FACTOR], fields[F.OFFSET]] = [plane, channels, factor, offset];
    });
  };
}

export const wasmNormalize: WasmOp = (node, _graph, regions) => channelAffineOp(normalizeAffine(node), regions);
export const wasmBatchnorm: WasmOp = (node, graph, regions) => channelAffineOp(batchnormAffine(node, graph), regions);

export const wasmSoftmax: WasmOp = () => (step) => {
  const [batch, classes] = shapeOf(step.inputShapes, 0) as [number, number];
  return elementwiseStep(TASK.softmax, batch, classes, (fields) => {
    fields[ELEMENTWISE_FIELDS.CLASSES] = classes;
  });
};
