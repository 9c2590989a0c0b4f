import type { GraphNode, Tensor } from '../../../graph/ir.js';
import { unpackTernary } from '../../../format/ternary-pack.js';
import { conv2dAttrs } from '../../../ops/conv2d.js';
import { denseAttrs } from '../../../ops/dense.js';
import { shapeOf, type WasmBoundStep, type WasmOp } from '../kernel.js';
import { epilogueConstants } from '../linear.js';
import type { ArenaRegions } from './arena.js';
import { BLOCK_LANES, CONV_FIELDS, DENSE_FIELDS, GATHER_FIELDS, GROUP_BLOCKS, TASK, TASK_INTS } from './kernels.js';

/**
 * Bytes of grid one conv2d task should read (its rows of every input channel): they stay in a core's L2 while every
 * output channel of the task re-reads them.
 */
const TASK_GRID_BYTES = 512 * 1024;
/** Tasks per thread a phase should offer, so that threads finishing early can take more. */
const TASKS_PER_THREAD = 4;

/** Tasks as the kernels read them: [function, …arguments], TASK_INTS each. */
export function taskList(tasks: readonly (readonly number[])[]): Int32Array {
  const list = new Int32Array(tasks.length * TASK_INTS);
  tasks.forEach((task, i) => list.set(task, i * TASK_INTS));
  return list;
}

/** [start, end) ranges of at most `size` covering [0, total). */
export function ranges(total: number, size: number): [number, number][] {
  const list: [number, number][] = [];
  for (let start = 0; start < total; start += size) list.push([start, Math.min(total, start + size)]);
  return list;
}

/** The epilogue's per-channel constants and lower bound, in the arena for the life of the graph. */
function epilogueInArena(node: GraphNode, graph: { tensors: ReadonlyMap<string, Tensor> }, outChannels: number, regions: ArenaRegions) {
  const { multiplier, bias } = epilogueConstants(node, graph.tensors, outChannels);
  return {
    multiplier: regions.store(Float32Array.from(multiplier)),
    bias: regions.store(Float32Array.from(bias)),
  };
}

/** f32 bits of the epilogue's lower bound: relu clamps at 0, otherwise −∞ leaves every value as it is. */
const lowerBits = (relu: boolean): number => new Int32Array(Float32Array.of(relu ? 0 : -Infinity).buffer)[0]!;

function weightOf(node: GraphNode, tensors: ReadonlyMap<string, Tensor>): Tensor {
  const weight = tensors.get(node.params.weight ?? '');
  if (weight === undefined) throw new Error(`node "${node.name}" has no weight tensor`);
  return weight;
}

/**
 * Per output channel, the k of its +1 weights then of its −1 weights (ternary), or every k (float), as lists that a
 * geometry turns into byte offsets.
 */
function weightLists(weight: Tensor): { k: Int32Array; starts: Int32Array; outChannels: number; rowLength: number } {
  const [outChannels = 0, ...rest] = weight.shape;
  const rowLength = rest.reduce((product, extent) => product * extent, 1);
  if (weight.dtype !== 'ternary2') {
    return { k: Int32Array.from({ length: rowLength }, (_, k) => k), starts: new Int32Array(0), outChannels, rowLength };
  }
  const codes = unpackTernary(weight.data as Uint32Array, weight.shape);
  let nonZero = 0;
  for (const code of codes) if (code !== 0) nonZero++;
  const k = new Int32Array(nonZero);
  // starts[2o]: channel o's first +1 entry; starts[2o + 1]: its first −1 entry; starts[2·O]: the end.
  const starts = new Int32Array(2 * outChannels + 1);
  let next = 0;
  for (let o = 0; o < outChannels; o++) {
    const row = o * rowLength;
    starts[2 * o] = next;
    for (let i = 0; i < rowLength; i++) if (codes[row + i] === 1) k[next++] = i;
    starts[2 * o + 1] = next;
    for (let i = 0; i < rowLength; i++) if (codes[row + i] === -1) k[next++] = i;
  }
  starts[2 * outChannels] = next;
  return { k, starts, outChannels, rowLength };
}

/** Where a conv2d reads its input: the input itself (stride 1, no padding) or a padded, phase-split grid. */
interface Grid {
  readonly gathered: boolean;
  readonly phasesY: number;
  readonly phasesX: number;
  readonly planeH: number;
  readonly planeW: number;
  /** Bytes per channel (every phase plane) and per image. */
  readonly channelBytes: number;
  readonly imageBytes: number;
}

/** A weight in an arena: its lists, and what has been stored for it (shared by every layer reading the tensor). */
interface CompiledWeight {
  /** conv2d only (dense reads the packed codes). */
  lists?: ReturnType<typeof weightLists>;
  /** Float rows (dense: the packed codes too), stored on first use. */
  stored?: number | undefined;
  /** Offset lists (and ternary bounds) per grid shape and window. */
  readonly bounds: Map<string, number | undefined>;
}

const compiledWeights = new WeakMap<ArenaRegions, WeakMap<Tensor, CompiledWeight>>();

function compiledWeight(weight: Tensor, regions: ArenaRegions): CompiledWeight {
  let byTensor = compiledWeights.get(regions);
  if (byTensor === undefined) compiledWeights.set(regions, (byTensor = new WeakMap()));
  let compiled = byTensor.get(weight);
  if (compiled === undefined) byTensor.set(weight, (compiled = { bounds: new Map() }));
  compiled.stored ??= regions.store(weight.data as Float32Array | Uint32Array);
  return compiled;
}

export const wasmConv2d: WasmOp = (node, graph, regions) => {
  const attrs = conv2dAttrs(node);
  const weight = weightOf(node, graph.tensors);
  const ternary = weight.dtype === 'ternary2';
  const compiled = compiledWeight(weight, regions);
  const lists = (compiled.lists ??= weightLists(weight));
  const bounds = compiled.bounds;
  const { multiplier, bias } = epilogueInArena(node, graph, lists.outChannels, regions);
  const weights = compiled.stored;
  if (multiplier === undefined || bias === undefined || weights === undefined) return undefined;
  const [kernelH, kernelW] = attrs.kernel;
  const [strideY, strideX] = attrs.stride;
  const [padY, padX] = attrs.padding;

  const boundsFor = (grid: Grid): number | undefined => {
    const key = `${grid.planeW} ${grid.planeH} ${grid.channelBytes} ${kernelW} ${strideY} ${strideX} ${grid.phasesX}`;
    if (!bounds.has(key)) {
      const planeBytes = 4 * grid.planeH * grid.planeW;
      const taps = kernelH * kernelW;
      const offsets = lists.k.map((k) => {
        const tap = k % taps;
        const [i, j] = [Math.floor(tap / kernelW), tap % kernelW];
        const phase = (i % strideY) * grid.phasesX + (j % strideX);
        return Math.floor(k / taps) * grid.channelBytes + phase * planeBytes + 4 * (Math.floor(i / strideY) * grid.planeW + Math.floor(j / strideX));
      });
      const address = regions.store(offsets);
      bounds.set(key, address === undefined || !ternary ? address : regions.store(lists.starts.map((start) => address + 4 * start)));
    }
    return bounds.get(key);
  };

  return (step): WasmBoundStep | undefined => {
    const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
    const [, outChannels, outHeight, outWidth] = shapeOf(step.outputShapes, 0) as [number, number, number, number];
    const gathered = !(strideY === 1 && strideX === 1 && padY === 0 && padX === 0);
    const phasesY = Math.min(strideY, kernelH);
    const phasesX = Math.min(strideX, kernelW);
    const planeH = gathered ? Math.ceil((height + 2 * padY) / strideY) : height;
    const planeW = gathered ? Math.ceil((width + 2 * padX) / strideX) : width;
    const channelBytes = 4 * phasesY * phasesX * planeH * planeW;
    const grid: Grid = { gathered, phasesY, phasesX, planeH, planeW, channelBytes, imageBytes: channels * channelBytes };
    const boundsAddress = boundsFor(grid);
    if (boundsAddress === undefined) return undefined;
    // Rows per task: the grid rows they read (plus the kernel's reach below them) within TASK_GRID_BYTES.
    const reach = Math.floor((kernelH - 1) / strideY);
    const rowsPerTask = Math.max(1, Math.floor(TASK_GRID_BYTES / (grid.channelBytes / planeH)) - reach);
    const groupBytes = 4 * BLOCK_LANES * GROUP_BLOCKS;
    return {
      scratchBytes: gathered ? grid.imageBytes : 0,
      threadScratchBytes: Math.ceil((4 * Math.min(rowsPerTask, outHeight) * planeW) / groupBytes) * groupBytes + groupBytes,
      phases(io, stepRegions, threads) {
        const fields = new Int32Array(CONV_FIELDS.SIZE);
        const F = CONV_FIELDS;
        fields[F.OUT_WIDTH] = outWidth;
        fields[F.SUM_ROW] = 4 * planeW;
        fields[F.OUT_ROW] = 4 * outWidth;
        fields[F.MULTIPLIER] = multiplier;
        fields[F.BIAS] = bias;
        fields[F.LOWER] = lowerBits(attrs.activation === 'relu');
        fields[F.OUT] = io.output;
        fields[F.RESIDUAL] = io.inputs[1] ?? 0;
        fields[F.SRC] = gathered ? io.scratch : io.inputs[0]!;
        fields[F.SRC_IMAGE] = gathered ? 0 : grid.imageBytes;
        fields[F.OUT_IMAGE] = 4 * outChannels * outHeight * outWidth;
        fields[F.OUT_CHANNEL] = 4 * outHeight * outWidth;
        fields[F.BOUNDS] = boundsAddress;
        fields[F.WEIGHTS] = weights;
        fields[F.ROW_LENGTH] = lists.rowLength;
        const descriptor = stepRegions.store(fields);
        if (descriptor === undefined) return undefined;
        const rowRanges = ranges(outHeight, rowsPerTask);
        // One task per row range unless threads need more: then output channels split too, in multiples of 8
        // (each task's grid rows are then read once per channel group).
        const wanted = threads === 1 ? 1 : Math.ceil((TASKS_PER_THREAD * threads) / rowRanges.length);
        const channelRanges = ranges(outChannels, Math.max(8, Math.ceil(outChannels / wanted / 8) * 8));
        const convTasks = (n: number) =>
          taskList(rowRanges.flatMap(([y0, y1]) => channelRanges.map(([o0, o1]) => [ternary ? TASK.ternaryConv : TASK.floatConv, descriptor, n, o0, o1, y0, y1])));
        const images = Array.from({ length: batch }, (_, n) => n);
        if (!gathered) return images.map(convTasks);
        const G = GATHER_FIELDS;
        const gatherFields = new Int32Array(G.SIZE);
        gatherFields[G.IN] = io.inputs[0]!;
        gatherFields[G.IN_IMAGE] = 4 * channels * height * width;
        gatherFields[G.IN_CHANNEL] = 4 * height * width;
        gatherFields[G.HEIGHT] = height;
        gatherFields[G.WIDTH] = width;
        gatherFields[G.STRIDE_Y] = strideY;
        gatherFields[G.STRIDE_X] = strideX;
        gatherFields[G.PAD_TOP] = padY;
        gatherFields[G.PAD_LEFT] = padX;
        gatherFields[G.PHASES_Y] = phasesY;
        gatherFields[G.PHASES_X] = phasesX;
        gatherFields[G.PLANE_H] = planeH;
        gatherFields[G.PLANE_W] = planeW;
        gatherFields[G.GRID] = io.scratch;
        gatherFields[G.GRID_CHANNEL] = grid.channelBytes;
        const gatherDescriptor = stepRegions.store(gatherFields);
        if (gatherDescriptor === undefined) return undefined;
        const perTask = threads === 1 ? channels : Math.max(1, Math.ceil(channels / (TASKS_PER_THREAD * threads)));
        // Image by image, so the grid (one image's, GRID_IMAGE 0) stays in cache between its gather and its conv.
        return images.flatMap((n) => [taskList(ranges(channels, perTask).map(([c0, c1]) => [TASK.gather, gatherDescriptor, n, c0, c1])), convTasks(n)]);
      },
    };
  };
};

export const wasmDense: WasmOp = (node, graph, regions) => {
  const weight = weightOf(node, graph.tensors);
  const ternary = weight.dtype === 'ternary2';
  const [outChannels = 0, features = 0] = weight.shape;
  const { multiplier, bias } = epilogueInArena(node, graph, outChannels, regions);
  const weights = compiledWeight(weight, regions).stored;
  const table = ternary ? regions.arena.denseTable() : 0;
  if (multiplier === undefined || bias === undefined || weights === undefined || table === undefined) return undefined;
  const relu = denseAttrs(node).activation === 'relu';
  return (step) => {
    const [batch] = shapeOf(step.inputShapes, 0) as [number, number];
    return {
      scratchBytes: 0,
      threadScratchBytes: 4 * batch + 16,
      phases(io, stepRegions, threads) {
        const F = DENSE_FIELDS;
        const fields = new Int32Array(F.SIZE);
        fields[F.OUT_WIDTH] = 1;
        fields[F.SUM_ROW] = 4;
        fields[F.OUT_ROW] = 4 * outChannels;
        fields[F.MULTIPLIER] = multiplier;
        fields[F.BIAS] = bias;
        fields[F.LOWER] = lowerBits(relu);
        fields[F.OUT] = io.output;
        fields[F.RESIDUAL] = io.inputs[1] ?? 0;
        fields[F.IN] = io.inputs[0]!;
        fields[F.IN_ROW] = 4 * features;
        fields[F.SAMPLES] = batch;
        fields[F.CODES] = weights;
        fields[F.CODE_ROW] = 4 * Math.ceil(features / 16);
        fields[F.TABLE] = table;
        fields[F.WEIGHTS] = weights;
        fields[F.ROW_LENGTH] = features;
        const descriptor = stepRegions.store(fields);
        if (descriptor === undefined) return undefined;
        const perTask = threads === 1 ? outChannels : Math.max(1, Math.ceil(outChannels / (TASKS_PER_THREAD * threads)));
        const task = ternary ? TASK.ternaryDense : TASK.floatDense;
        return [taskList(ranges(outChannels, perTask).map(([o0, o1]) => [task, descriptor, o0, o1]))];
      },
    };
  };
};
