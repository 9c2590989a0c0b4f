import type { GraphNode, Tensor } from '../../../graph/ir.js';
import { ternaryRowWords } from '../../../format/ternary-pack.js';
import { conv2dAttrs } from '../../../ops/conv2d.js';
import { denseAttrs } from '../../../ops/dense.js';
import { shapeOf, type Int16Quantiser, type WasmBoundStep, type WasmOp } from '../kernel.js';
import { epilogueConstants } from '../linear.js';
import type { ArenaRegions } from './arena.js';
import {
  BLOCK_LANES, CONV_FIELDS, DENSE_FIELDS, EPILOGUE_FIELDS, F32_LANES, GATHER_FIELDS, GROUP_BYTES, I16_GROUP_SUM_BYTES,
  I16_LANES, int16Chunk, TASK, TASK_INTS, ternaryConvTask, type OffsetBytes,
} from './kernels.js';
import { shareStart } from './threads.js';

/**
 * Bytes of grid one conv2d task should read (its rows of every input channel), and of sums it should keep (4 per
 * lane and output channel): both stay in a core's L2.
 */
const TASK_GRID_BYTES = 512 * 1024;
const TASK_SUMS_BYTES = 512 * 1024;
/**
 * Bytes of grid a conv2d lane group may read per chunk of grid channels: every output channel of a task reads it in
 * turn, from L1 (32–48 KiB on current x86 cores). Chunks are whole multiples of CHUNK_CHANNELS grid channels.
 */
const CHUNK_GRID_BYTES = 24 * 1024;
const CHUNK_CHANNELS = 16;
/** Tasks per thread a phase should offer, so that threads finishing early can take more. */
export const TASKS_PER_THREAD = 4;
/** Output channels a conv2d task should compute at least, when threads split channels. */
const MIN_TASK_CHANNELS = 32;

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

/** `parts` [start, end) ranges covering [0, total), their sizes at most one apart. */
export function evenRanges(total: number, parts: number): [number, number][] {
  const start = (i: number) => Math.floor((i * total) / parts);
  return Array.from({ length: parts }, (_, i) => [start(i), start(i + 1)]);
}

/**
 * [start, end) ranges covering [0, total) for `threads` threads: one range on one thread, else about
 * TASKS_PER_THREAD per thread, each a whole number of `multiple` items but the last.
 */
export function threadRanges(total: number, threads: number, multiple = 1): [number, number][] {
  if (threads === 1) return ranges(total, total);
  return ranges(total, Math.max(1, multiple * Math.ceil(total / (multiple * TASKS_PER_THREAD * threads))));
}

/**
 * The epilogue's per-channel constants, in the arena for the life of the graph. int16 sums count quanta of the
 * input, so their multiplier is α·scale·(r/qmax), one float32 rounding of the product.
 */
function epilogueInArena(
  node: GraphNode,
  graph: { tensors: ReadonlyMap<string, Tensor> },
  outChannels: number,
  regions: ArenaRegions,
  int16: Int16Quantiser | undefined,
) {
  const { multiplier, bias } = epilogueConstants(node, graph.tensors, outChannels);
  return {
    multiplier: regions.store(Float32Array.from(multiplier, (m) => m * (int16?.step ?? 1))),
    bias: regions.store(Float32Array.from(bias)),
  };
}

const f32Bits = (value: number): number => new Int32Array(Float32Array.of(value).buffer)[0]!;
/** f32 bits of the epilogue's lower bound: relu clamps at 0, otherwise −∞ leaves every value as it is. */
const lowerBits = (relu: boolean): number => f32Bits(relu ? 0 : -Infinity);

/** What a linear step's epilogue reads (EPILOGUE_FIELDS), in bytes where kernels.ts says so. */
interface EpilogueFields {
  readonly outWidth: number;
  readonly sumRow: number;
  readonly outRow: number;
  readonly multiplier: number;
  readonly bias: number;
  readonly lower: number;
  readonly out: number;
  readonly residual: number;
  /** Bytes between samples' outputs where the sums' lanes are samples (EPILOGUE_FIELDS.OUT_SAMPLE), else absent. */
  readonly outSample?: number;
}

/** A conv2d or dense descriptor of `size` fields, its epilogue fields filled in. */
function linearDescriptor(size: number, e: EpilogueFields): Int32Array {
  const E = EPILOGUE_FIELDS;
  const fields = new Int32Array(size);
  [fields[E.OUT_WIDTH], fields[E.SUM_ROW], fields[E.OUT_ROW]] = [e.outWidth, e.sumRow, e.outRow];
  [fields[E.MULTIPLIER], fields[E.BIAS], fields[E.LOWER]] = [e.multiplier, e.bias, e.lower];
  [fields[E.OUT], fields[E.RESIDUAL], fields[E.OUT_SAMPLE]] = [e.out, e.residual, e.outSample ?? 0];
  return fields;
}

/** Where a gather task reads its input and writes its grid (GATHER_FIELDS), in elements; strides in bytes. */
interface GatherGeometry {
  readonly input: number;
  readonly inImageBytes: number;
  readonly inChannelBytes: number;
  readonly height: number;
  readonly width: number;
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly phases: readonly [number, number];
  readonly planeH: number;
  readonly planeW: number;
  readonly grid: number;
  readonly gridImageBytes: number;
  readonly gridChannelBytes: number;
  /** Whether channel pairs' sums and differences follow each pair (PAIR_PLANES channels per pair). */
  readonly paired: boolean;
}

/** A gather descriptor in `regions`: the float grid, or the int16 codes when `int16` is given. */
function storeGather(g: GatherGeometry, int16: Int16Quantiser | undefined, regions: ArenaRegions): number | undefined {
  const G = GATHER_FIELDS;
  const fields = new Int32Array(G.SIZE);
  fields[G.IN] = g.input;
  fields[G.IN_IMAGE] = g.inImageBytes;
  fields[G.IN_CHANNEL] = g.inChannelBytes;
  fields[G.HEIGHT] = g.height;
  fields[G.WIDTH] = g.width;
  [fields[G.STRIDE_Y], fields[G.STRIDE_X]] = g.stride;
  [fields[G.PAD_TOP], fields[G.PAD_LEFT]] = g.padding;
  [fields[G.PHASES_Y], fields[G.PHASES_X]] = g.phases;
  fields[G.PLANE_H] = g.planeH;
  fields[G.PLANE_W] = g.planeW;
  fields[G.GRID] = g.grid;
  fields[G.GRID_IMAGE] = g.gridImageBytes;
  fields[G.GRID_CHANNEL] = g.gridChannelBytes;
  fields[G.PAIRED] = Number(g.paired);
  fields[G.SCALE] = f32Bits(int16?.scale ?? 0);
  fields[G.QMAX] = int16?.qmax ?? 0;
  return regions.store(fields);
}

function weightOf(node: GraphNode, tensors: ReadonlyMap<string, Tensor>): Tensor {
  const weight = tensors.get(node.params.weight ?? '');
  if (weight === undefined) throw new Error(`node "${node.name}" has no weight tensor`);
  return weight;
}

/**
 * Byte offset within a grid (see Grid) at which each weight k of an output channel's row reads its input, tap by
 * tap: channel-major, then the kernel's rows and columns, as the weights are laid out.
 */
function gridOffsets(
  rowLength: number,
  [kernelH, kernelW]: readonly [number, number],
  [strideY, strideX]: readonly [number, number],
  grid: Grid,
  elementBytes: number,
): Int32Array {
  const planeBytes = elementBytes * grid.planeH * grid.planeW;
  // Tap (i, j) reads phase plane (i mod strideY, j mod strideX), at row ⌊i/strideY⌋ and column ⌊j/strideX⌋.
  const tapOffsets: number[] = [];
  for (let i = 0; i < kernelH; i++) {
    for (let j = 0; j < kernelW; j++) {
      const phase = (i % strideY) * grid.phasesX + (j % strideX);
      const column = Math.floor(i / strideY) * grid.planeW + Math.floor(j / strideX);
      tapOffsets.push(phase * planeBytes + elementBytes * column);
    }
  }
  const offsets = new Int32Array(rowLength);
  for (let k = 0, channelStart = 0; k < rowLength; channelStart += grid.channelBytes) {
    for (const tapOffset of tapOffsets) offsets[k++] = channelStart + tapOffset;
  }
  return offsets;
}

/**
 * A ternary conv2d's grid holds, per pair of input channels (a, b), four planes: a, b, a + b and a − b (an odd last
 * channel has only its own). A pair's two weights at one tap then need one add or subtract of one plane (or nothing
 * when both are 0) instead of up to two: with ~57 % nonzero weights, 0.82 adds per pair and tap instead of 1.14.
 */
const PAIR_PLANES = 4;

/** Grid channels (planes per tap) of `channels` input channels, paired or not. */
const gridChannels = (channels: number, paired: boolean): number =>
  paired ? PAIR_PLANES * Math.floor(channels / 2) + (channels % 2) : channels;

/**
 * A weight's offset list in the arena: every k's offset (float weights), or per output channel the offsets of its +1
 * terms then of its −1 terms, behind a table of where each list starts (ternary: its packed codes are copied into the
 * arena only while the lists are written, and that space then serves later regions, which would otherwise touch
 * fresh pages; the kernels read the lists alone). A term is a weight k (`offsets` per k), or with `pairedTaps` (a
 * conv2d's kernel taps) a term of its paired grid (PAIR_PLANES; `offsets` per term k = gridChannel·taps + tap), whose
 * codes offset-lists.ts pairedCodes writes; `gridChunks` > 1 cuts each row into chunks of `offsets.length` terms, a
 * list per chunk and output channel. Ternary lists hold u16 offsets where all fit (OffsetBytes). The address the
 * kernels read (BOUNDS), or undefined when the arena cannot grow that far.
 */
function storeOffsetLists(
  weight: Tensor,
  offsets: Int32Array,
  regions: ArenaRegions,
  pairedTaps?: number,
  gridChunks = 1,
): OffsetLists | undefined {
  if (weight.dtype !== 'ternary2') {
    const bounds = regions.store(offsets);
    return bounds === undefined ? undefined : { bounds, offsetBytes: 4 };
  }
  const { arena } = regions;
  const [outChannels = 0, channels = 1] = weight.shape;
  // Paired: the terms of a row, chunk by chunk (`offsets` per term of a chunk, a whole number of code words when
  // there are several), one row per chunk and output channel, in that order.
  const termRowWords = ternaryRowWords(offsets.length);
  const termBytes = 4 * outChannels * gridChunks * termRowWords;
  const codes = weight.data as Uint32Array;
  const words = arena.store(codes);
  if (words === undefined) return undefined;
  const paired = pairedTaps === undefined ? undefined : arena.allocate(termBytes);
  try {
    if (pairedTaps !== undefined) {
      const rowWords = ternaryRowWords(channels * pairedTaps);
      const chunkStride = outChannels * termRowWords;
      if (paired === undefined) return undefined;
      if (!arena.pairedCodes(words, rowWords, outChannels, channels, pairedTaps, paired, termRowWords, chunkStride)) {
        return undefined;
      }
    }
    const terms = paired ?? words;
    const offsetBytes: OffsetBytes = offsets.every((offset) => offset <= 0xffff) ? 2 : 4;
    const starts = arena.signedStarts(terms, termRowWords, outChannels * gridChunks);
    const lists = starts && regions.allocate(offsetBytes * starts[starts.length - 1]!);
    if (starts === undefined || lists === undefined) return undefined;
    if (!arena.signedOffsets(terms, termRowWords, starts, offsets, lists, offsetBytes)) return undefined;
    const bounds = regions.store(starts.map((start) => lists + offsetBytes * start));
    return bounds === undefined ? undefined : { bounds, offsetBytes };
  } finally {
    if (paired !== undefined) arena.release(paired, termBytes);
    arena.release(words, codes.byteLength);
  }
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

/** A weight's offset lists in the arena: where the kernels read them (BOUNDS), and the bytes of an entry. */
interface OffsetLists {
  readonly bounds: number;
  readonly offsetBytes: OffsetBytes;
}

/**
 * CONV_FIELDS.CHUNK of a conv over a paired grid: bytes of `lists` summed in i16 lanes before widening, where a pair's
 * sum or difference plane holds codes up to 2·qmax; 0 for float lanes.
 */
const pairedListChunk = (lists: OffsetLists, int16: Int16Quantiser | undefined): number =>
  int16 ? lists.offsetBytes * int16Chunk(2 * int16.qmax) : 0;

/** A weight in an arena: what has been stored for it (shared by every layer reading the tensor). */
interface CompiledWeight {
  /** Float rows, or a dense layer's packed codes: storedData. */
  stored?: number | undefined;
  /** Offset lists (and ternary bounds) per grid shape and window. */
  readonly lists: Map<string, OffsetLists | undefined>;
}

const compiledWeights = new WeakMap<ArenaRegions, WeakMap<Tensor, CompiledWeight>>();

function compiledWeight(weight: Tensor, regions: ArenaRegions): CompiledWeight {
  let byTensor = compiledWeights.get(regions);
  if (byTensor === undefined) compiledWeights.set(regions, (byTensor = new WeakMap()));
  let compiled = byTensor.get(weight);
  if (compiled === undefined) byTensor.set(weight, (compiled = { lists: new Map() }));
  return compiled;
}

/** The weight's offset lists for one layout (`key`), written by `write` (storeOffsetLists) on first use. */
function offsetListsFor(
  compiled: CompiledWeight, key: string, write: () => OffsetLists | undefined,
): OffsetLists | undefined {
  if (!compiled.lists.has(key)) compiled.lists.set(key, write());
  return compiled.lists.get(key);
}

/** The weight's data in the arena, for the kernels that read it (float rows, dense codes), stored on first use. */
function storedData(compiled: CompiledWeight, weight: Tensor, regions: ArenaRegions): number | undefined {
  compiled.stored ??= regions.store(weight.data as Float32Array | Uint32Array);
  return compiled.stored;
}

/**
 * Grid channels per chunk of a ternary conv2d: what a lane group reads of them (kernelH rows of its lanes and the
 * kernel's width, per phase column) within CHUNK_GRID_BYTES.
 */
function ternaryChunkChannels(
  allChannels: number, int16: boolean, [kernelH, kernelW]: readonly [number, number], phasesX: number,
): number {
  const groupLanes = BLOCK_LANES * (int16 ? I16_LANES : F32_LANES).groupBlocks;
  const groupChannelBytes = (int16 ? 2 : 4) * kernelH * phasesX * (groupLanes + kernelW);
  const fitting = CHUNK_CHANNELS * Math.max(1, Math.floor(CHUNK_GRID_BYTES / groupChannelBytes / CHUNK_CHANNELS));
  return Math.min(allChannels, fitting);
}

export const wasmConv2d: WasmOp = (node, graph, regions, quantiser) => {
  const attrs = conv2dAttrs(node);
  const weight = weightOf(node, graph.tensors);
  const ternary = weight.dtype === 'ternary2';
  const int16 = ternary ? quantiser : undefined;
  /** Bytes per grid element: f32 values or int16 codes. */
  const elementBytes = int16 ? 2 : 4;
  const compiled = compiledWeight(weight, regions);
  const [outChannelsOfWeight = 0, channelsOfWeight = 1, ...kernel] = weight.shape;
  const taps = kernel.reduce((product, extent) => product * extent, 1);
  const rowLength = channelsOfWeight * taps;
  const { multiplier, bias } = epilogueInArena(node, graph, outChannelsOfWeight, regions, int16);
  // Float kernels read the weights; ternary ones only the offset lists (0: none).
  const weights = ternary ? 0 : storedData(compiled, weight, regions);
  if (multiplier === undefined || bias === undefined || weights === undefined) return undefined;
  const [kernelH, kernelW] = attrs.kernel;
  const [strideY, strideX] = attrs.stride;
  const [padY, padX] = attrs.padding;

  const listsFor = (grid: Grid, chunkChannels: number, gridChunks: number): OffsetLists | undefined => {
    const key = [grid.planeW, grid.planeH, grid.channelBytes, kernelW, strideY, strideX, grid.phasesX, elementBytes]
      .concat(chunkChannels, gridChunks).join(' ');
    return offsetListsFor(compiled, key, () => {
      const offsets = gridOffsets(chunkChannels * taps, attrs.kernel, attrs.stride, grid, elementBytes);
      return storeOffsetLists(weight, offsets, regions, ternary ? taps : undefined, gridChunks);
    });
  };

  return (step): WasmBoundStep | undefined => {
    const [batch, channels, height, width] = shapeOf(step.inputShapes, 0) as [number, number, number, number];
    const [, outChannels, outHeight, outWidth] = shapeOf(step.outputShapes, 0) as [number, number, number, number];
    const unpadded = strideY === 1 && strideX === 1 && padY === 0 && padX === 0;
    const noResidual = step.inputShapes.length === 1;
    // Whole blocks of images as lanes where that pays; the images after them (if any) one by one, below.
    const eligible = ternary && unpadded && noResidual && sampleLanesPay(batch, channels, height, width, outWidth);
    const firstImage = eligible ? batch - (batch % BLOCK_LANES) : 0;
    const epilogue = { multiplier, bias, lower: lowerBits(attrs.activation === 'relu') };
    const shapes = {
      batch: firstImage, channels, height, width, outChannels, outHeight, outWidth, kernel: attrs.kernel,
    };
    const lanesStep = eligible ? convBySampleLanes(weight, compiled, shapes, epilogue, regions, int16) : undefined;
    if (eligible && (lanesStep === undefined || firstImage === batch)) return lanesStep;
    // Ternary layers always gather (the grid holds the channel pairs' sums and differences, int16 ones their codes).
    const gathered = ternary || !unpadded;
    const phasesY = Math.min(strideY, kernelH);
    const phasesX = Math.min(strideX, kernelW);
    const planeH = gathered ? Math.ceil((height + 2 * padY) / strideY) : height;
    // At stride 1, where the kernel reaches no further than the padding on either side, one run of padX zeros
    // between rows is both the right padding of a row and the left padding of the next: fewer lanes per row (7-wide
    // rows: 8 instead of 9). The plane then ends with padX zeros, the last row's right padding.
    const sharedPadding = gathered && strideY === 1 && strideX === 1 && padX > 0 && kernelW <= 2 * padX + 1;
    const planeW = !gathered ? width : sharedPadding ? width + padX : Math.ceil((width + 2 * padX) / strideX);
    // Paired planes are summed sixteen bytes at a time: each starts 16-byte aligned.
    const planesBytes = elementBytes * (phasesY * phasesX * planeH * planeW + (sharedPadding ? padX : 0));
    const channelBytes = ternary ? Math.ceil(planesBytes / 16) * 16 : planesBytes;
    const imageBytes = gridChannels(channels, ternary) * channelBytes;
    const grid: Grid = { gathered, phasesY, phasesX, planeH, planeW, channelBytes, imageBytes };
    // Float layers' shared k list is one chunk.
    const allChannels = gridChannels(channels, ternary);
    const groupLanes = BLOCK_LANES * (int16 ? I16_LANES : F32_LANES).groupBlocks;
    const chunkChannels = ternary
      ? ternaryChunkChannels(allChannels, int16 !== undefined, attrs.kernel, phasesX)
      : allChannels;
    const gridChunks = Math.ceil(allChannels / chunkChannels);
    const lists = listsFor(grid, chunkChannels, gridChunks);
    if (lists === undefined) return undefined;
    // Rows per task: the grid rows they read (plus the kernel's reach below them) within TASK_GRID_BYTES, and their
    // sums within TASK_SUMS_BYTES.
    const reach = Math.floor((kernelH - 1) / strideY);
    const rowsPerTask = Math.max(1, Math.min(
      Math.floor(TASK_GRID_BYTES / (grid.imageBytes / planeH)) - reach,
      Math.floor(TASK_SUMS_BYTES / (4 * planeW * outChannels)),
    ));
    // A channel's sums of a task's rows, 4 bytes per lane, in whole groups.
    const groupBytes = int16 ? I16_GROUP_SUM_BYTES : GROUP_BYTES;
    const sumsChannelBytes = Math.ceil((4 * Math.min(rowsPerTask, outHeight) * planeW) / groupBytes) * groupBytes;
    const imageByImage: WasmBoundStep = {
      // A grid per thread (see the gather cut below).
      scratchBytes: (threads) => (gathered ? threads * grid.imageBytes : 0),
      threadScratchBytes: outChannels * sumsChannelBytes,
      phases(io, stepRegions, threads) {
        const F = CONV_FIELDS;
        const fields = linearDescriptor(F.SIZE, {
          outWidth, sumRow: 4 * planeW, outRow: 4 * outWidth, multiplier, bias,
          lower: lowerBits(attrs.activation === 'relu'), out: io.output, residual: io.inputs[1] ?? 0,
        });
        fields[F.SRC] = gathered ? io.scratch : io.inputs[0]!;
        fields[F.SRC_IMAGE] = gathered ? 0 : grid.imageBytes;
        fields[F.OUT_IMAGE] = 4 * outChannels * outHeight * outWidth;
        fields[F.OUT_CHANNEL] = 4 * outHeight * outWidth;
        fields[F.BOUNDS] = lists.bounds;
        fields[F.WEIGHTS] = weights;
        fields[F.ROW_LENGTH] = rowLength;
        fields[F.CHUNK] = pairedListChunk(lists, int16);
        fields[F.GRID_CHUNKS] = gridChunks;
        fields[F.CHUNK_GRID] = chunkChannels * channelBytes;
        fields[F.CHUNK_BOUNDS] = 8 * outChannels;
        fields[F.SUMS_CHANNEL] = sumsChannelBytes;
        const shares = gathered ? threads : 1;
        const descriptors = Array.from({ length: shares }, (_, t) => {
          const shareFields = fields.slice();
          if (gathered) shareFields[F.SRC] = io.scratch + t * grid.imageBytes;
          return stepRegions.store(shareFields);
        });
        if (descriptors.some((d) => d === undefined)) return undefined;
        // Threads split the rows first, into ranges of (nearly) equal size of at least two lane groups each; then
        // output channels, at least MIN_TASK_CHANNELS per task (a task reads each grid chunk into L1 once for all of
        // its channels: fewer channels per task, more reads per term). As many row ranges as the rows allow that
        // divide the wanted tasks or are a multiple of the threads, so that every thread's share of the tasks
        // (threads.ts) is the same work: ResNet-18's 14-row layers were 3 × 3 tasks, 5 for one of two threads.
        // Small layers are split too: half their input lies in the other core's cache, so one thread alone is slower
        // (ResNet-18's 1×1 stride-2 downsamples, 0.2 ms: 0.31–0.37 ms on one of two threads, 0.23–0.26 split).
        // Ranges of at least 8 float32 groups (192 lanes) instead, so that fewer lanes fall in a range's last partial
        // group (ResNet-18's 14- and VGG-7's 16-row layers then split channels only): bench:cpu-ab at two threads,
        // base ÷ tried 1.013–1.027 (ResNet-18) and 0.987–1.012 (VGG-7) at float32, 1.022 and 1.020 at int16: within
        // the noise, the affected layers 4–10 % faster in some runs and level in others.
        const wantedTasks = threads === 1 ? 1 : TASKS_PER_THREAD * threads;
        const minRows = Math.ceil((2 * groupLanes) / planeW);
        const fewestRowTasks = Math.ceil(outHeight / rowsPerTask);
        const mostRowTasks = Math.max(fewestRowTasks, Math.min(wantedTasks, Math.floor(outHeight / minRows)));
        const rowTasks = Array.from({ length: mostRowTasks - fewestRowTasks + 1 }, (_, i) => mostRowTasks - i)
          .find((count) => wantedTasks % count === 0 || count % threads === 0) ?? mostRowTasks;
        const rowRanges = evenRanges(outHeight, rowTasks);
        const wanted = Math.ceil(wantedTasks / rowRanges.length);
        const perChannelTask = Math.max(MIN_TASK_CHANNELS, Math.ceil(outChannels / wanted / 8) * 8);
        const channelRanges = ranges(outChannels, perChannelTask);
        const convTask = ternary ? ternaryConvTask(int16 !== undefined, lists.offsetBytes) : TASK.floatConv;
        const cut = rowRanges.flatMap(([y0, y1]) => channelRanges.map(([o0, o1]) => [o0, o1, y0, y1] as const));
        // Thread t's share of the conv's tasks (threads.ts) reads grid t, which the gather phase's share t fills.
        const shareCuts = Array.from({ length: shares }, (_, t) =>
          cut.slice(shareStart(t, cut.length, shares), shareStart(t + 1, cut.length, shares)));
        const convTasks = (n: number) =>
          taskList(
            shareCuts.flatMap((own, t) =>
              own.map(([o0, o1, y0, y1]) => [convTask, descriptors[t]!, n, o0, o1, y0, y1])),
          );
        const images = Array.from({ length: batch - firstImage }, (_, i) => firstImage + i);
        if (!gathered) return images.map(convTasks);
        const gatherDescriptors = Array.from({ length: shares }, (_, t) => storeGather(
          {
            input: io.inputs[0]!, inImageBytes: 4 * channels * height * width, inChannelBytes: 4 * height * width,
            height, width,
            stride: attrs.stride, padding: attrs.padding, phases: [phasesY, phasesX], planeH, planeW,
            grid: io.scratch + t * grid.imageBytes, gridImageBytes: 0, gridChannelBytes: grid.channelBytes,
            paired: ternary,
          },
          int16,
          stepRegions,
        ));
        if (gatherDescriptors.some((d) => d === undefined)) return undefined;
        const gatherTask = int16 ? TASK.int16Gather : TASK.gather;
        // A grid per thread: thread t's share of the conv's tasks reads grid t, which the gather phase's share t fills
        // with the rows those tasks read (the kernel's reach and one row more below them: a row's right padding is
        // the next row's left), whole channel pairs per task (the one writing a pair's second channel writes its sum
        // and difference); none for a share without conv tasks. Grid t's lines are then written and read by thread t
        // alone, unless a thread takes another's task, and stay in its core: with one grid for all threads, half of
        // the lines a gather overwrote were last held by the other core, and that was its cost (a gather run by one
        // thread inside a two-thread run took 0.25–0.29 ms per ResNet-18 gather against 0.08–0.09 ms at one thread,
        // 0.070–0.090 ms when run again right after; bench:cpu-threads per phase, 2026-12-02). Base (one grid) ÷ a
        // grid per thread, bench:cpu-ab at two threads, 100 rounds: ResNet-18 224 1.041 ± 0.014, 1.055 ± 0.011, 1.063
        // ± 0.013 (int16, 60 rounds: 1.053 ± 0.026); VGG-7 0.994 ± 0.012 twice (int16 0.995 ± 0.037). Slower or level
        // with one grid, base ÷ tried: gathers cut by the conv's row ranges instead of channel pairs, 0.96–0.99 (four
        // runs; 0.983 ± 0.016 retried); the gathers as one task on the plan's thread, 0.933 ± 0.021; the grid written
        // by the producing conv's tasks, no gather phase (26 phases instead of 44), 0.984 ± 0.010.
        const shareRows = shareCuts.map((own): [number, number] => {
          if (shares === 1) return [0, planeH];
          if (own.length === 0) return [0, 0];
          const last = Math.max(...own.map(([, , , y1]) => y1));
          return [Math.min(...own.map(([, , y0]) => y0)), Math.min(planeH, last + reach + 1)];
        });
        const channelCuts = threadRanges(channels, threads, 2);
        const gatherCuts = shareRows.flatMap(([r0, r1], t) =>
          r0 < r1 ? channelCuts.map(([c0, c1]) => [t, c0, c1, r0, r1]) : []);
        // Image by image, so the grid (one image's, GRID_IMAGE 0) stays in cache between its gather and its conv.
        const gatherTasks = (n: number) =>
          taskList(gatherCuts.map(([t, ...rest]) => [gatherTask, gatherDescriptors[t!]!, n, ...rest]));
        return images.flatMap((n) => [gatherTasks(n), convTasks(n)]);
      },
    };
    return lanesStep === undefined ? imageByImage : oneAfterTheOther(lanesStep, imageByImage);
  };
};

/** Two steps' phases, the first's then the second's, with room for either's scratch. */
function oneAfterTheOther(first: WasmBoundStep, second: WasmBoundStep): WasmBoundStep {
  return {
    scratchBytes: (threads) => Math.max(first.scratchBytes(threads), second.scratchBytes(threads)),
    threadScratchBytes: Math.max(first.threadScratchBytes, second.threadScratchBytes),
    phases(io, regions, threads) {
      const phases = [first.phases(io, regions, threads), second.phases(io, regions, threads)];
      return phases[0] && phases[1] && [...phases[0], ...phases[1]];
    },
  };
}

/**
 * Whether a ternary conv2d (stride 1, no padding, no residual) runs on blocks of BLOCK_LANES images as lanes
 * (convBySampleLanes): a block at least, output rows a multiple of 4 wide and narrower than the input's (image by
 * image, each row's lanes span the input's width), and a block's grid small enough to stay in L2. LeNet-5 at batch
 * 8, CPU ms, bench:cpu-layers in-process A/B (load 4–6): conv1 (24 of 28 lanes) int16 0.211 → 0.181, float32 0.294
 * → 0.249; conv2 (8 of 12) int16 0.494 → 0.294, float32 0.847 → 0.537.
 */
function sampleLanesPay(batch: number, channels: number, height: number, width: number, outWidth: number): boolean {
  const gridBytes = 4 * BLOCK_LANES * height * width * gridChannels(channels, true);
  return batch >= BLOCK_LANES && outWidth % 4 === 0 && (height * width) % 4 === 0 && outWidth < width &&
    gridBytes <= SAMPLE_LANES_GRID_BYTES;
}
/** Bytes of a block's grid (float32, paired) up to which convBySampleLanes is used. */
const SAMPLE_LANES_GRID_BYTES = 512 * 1024;

/**
 * A ternary conv2d (stride 1, no padding) a block of BLOCK_LANES images at a time, the images as lanes: the gather
 * transposes the block into one plane per grid channel whose positions are a vector of the eight images' values (16
 * bytes of int16 codes or 32 of floats), each pair's sum and difference planes after it, and each conv task computes
 * one output row: its outWidth positions × 8 images are whole lane groups, where image by image a row's lanes span
 * the grid's whole width (conv2 of LeNet-5: 12 lanes for 8 outputs). The epilogue transposes the sums back into
 * each image's output (OUT_SAMPLE). Each output is the same sum, in the same order, as image by image.
 */
function convBySampleLanes(
  weight: Tensor,
  compiled: CompiledWeight,
  shapes: {
    batch: number; channels: number; height: number; width: number;
    outChannels: number; outHeight: number; outWidth: number; kernel: readonly [number, number];
  },
  epilogue: { multiplier: number; bias: number; lower: number },
  regions: ArenaRegions,
  int16: Int16Quantiser | undefined,
): WasmBoundStep | undefined {
  const { batch, channels, height, width, outChannels, outHeight, outWidth, kernel } = shapes;
  const taps = kernel[0] * kernel[1];
  const positionBytes = BLOCK_LANES * (int16 ? 2 : 4);
  const channelBytes = positionBytes * height * width;
  const grid: Grid = {
    gathered: true, phasesY: 1, phasesX: 1, planeH: height, planeW: width, channelBytes, imageBytes: 0,
  };
  // The chunks of image by image, so that every output is the same sum in the same order.
  const allChannels = gridChannels(channels, true);
  const chunkChannels = ternaryChunkChannels(allChannels, int16 !== undefined, kernel, 1);
  const gridChunks = Math.ceil(allChannels / chunkChannels);
  const key = `sample lanes ${[height, width, positionBytes, chunkChannels, gridChunks].join(' ')}`;
  const lists = offsetListsFor(compiled, key, () => {
    const offsets = gridOffsets(chunkChannels * taps, kernel, [1, 1], grid, positionBytes);
    return storeOffsetLists(weight, offsets, regions, taps, gridChunks);
  });
  if (lists === undefined) return undefined;
  const groupBytes = int16 ? I16_GROUP_SUM_BYTES : GROUP_BYTES;
  /** One output row's sums: 4 bytes per lane, 8 lanes per position. */
  const rowSumBytes = 4 * BLOCK_LANES * outWidth;
  const sumsChannelBytes = Math.ceil(rowSumBytes / groupBytes) * groupBytes;
  const inImageBytes = 4 * channels * height * width;
  const outImageBytes = 4 * outChannels * outHeight * outWidth;
  const blocks = batch / BLOCK_LANES;
  return {
    scratchBytes: () => allChannels * channelBytes,
    threadScratchBytes: outChannels * sumsChannelBytes,
    phases(io, stepRegions, threads) {
      const F = CONV_FIELDS;
      // Task (n, o0, o1, 0, 1) computes output row n of channels [o0, o1) of the block: SRC_IMAGE and OUT_IMAGE
      // step rows.
      const descriptors = Array.from({ length: blocks }, (_, block) => {
        const fields = linearDescriptor(F.SIZE, {
          ...epilogue, outWidth, sumRow: rowSumBytes, outRow: 4 * outWidth,
          out: io.output + block * BLOCK_LANES * outImageBytes, residual: 0, outSample: outImageBytes,
        });
        fields[F.SRC] = io.scratch;
        fields[F.SRC_IMAGE] = positionBytes * width;
        fields[F.OUT_IMAGE] = 4 * outWidth;
        fields[F.OUT_CHANNEL] = 4 * outHeight * outWidth;
        fields[F.BOUNDS] = lists.bounds;
        fields[F.ROW_LENGTH] = channels * taps;
        fields[F.CHUNK] = pairedListChunk(lists, int16);
        fields[F.GRID_CHUNKS] = gridChunks;
        fields[F.CHUNK_GRID] = chunkChannels * channelBytes;
        fields[F.CHUNK_BOUNDS] = 8 * outChannels;
        fields[F.SUMS_CHANNEL] = sumsChannelBytes;
        return stepRegions.store(fields);
      });
      // A gather descriptor as sampleLanesGather reads it: rows are positions, images STRIDE_X floats apart.
      const transpose = storeGather(
        {
          input: io.inputs[0]!, inImageBytes: BLOCK_LANES * inImageBytes, inChannelBytes: 4 * height * width,
          height: height * width, width: BLOCK_LANES, stride: [1, inImageBytes / 4], padding: [0, 0], phases: [1, 1],
          planeH: height * width, planeW: BLOCK_LANES, grid: io.scratch, gridImageBytes: 0,
          gridChannelBytes: channelBytes, paired: true,
        },
        int16,
        stepRegions,
      );
      if (transpose === undefined || descriptors.includes(undefined)) return undefined;
      // Rows first; channels split only where there are fewer rows than tasks wanted.
      const wantedChannelRanges = threads === 1 ? 1 : Math.ceil((TASKS_PER_THREAD * threads) / outHeight);
      const channelRanges = ranges(outChannels, Math.ceil(outChannels / wantedChannelRanges));
      const inputRanges = threadRanges(channels, threads, 2);
      const gather = int16 ? TASK.int16SampleLanesGather : TASK.sampleLanesGather;
      const conv = ternaryConvTask(int16 !== undefined, lists.offsetBytes);
      const rows = Array.from({ length: outHeight }, (_, y) => y);
      // Block by block, so its grid stays in cache between its gather and its conv.
      return descriptors.flatMap((descriptor, block) => [
        taskList(inputRanges.map(([c0, c1]) => [gather, transpose, block, c0, c1])),
        taskList(rows.flatMap((y) => channelRanges.map(([o0, o1]) => [conv, descriptor!, y, o0, o1, 0, 1]))),
      ]);
    },
  };
}

export const wasmDense: WasmOp = (node, graph, regions, quantiser) => {
  const weight = weightOf(node, graph.tensors);
  const ternary = weight.dtype === 'ternary2';
  const int16 = ternary ? quantiser : undefined;
  const [outChannels = 0, features = 0] = weight.shape;
  const { multiplier, bias } = epilogueInArena(node, graph, outChannels, regions, int16);
  const compiled = compiledWeight(weight, regions);
  const weights = storedData(compiled, weight, regions);
  const table = ternary ? regions.arena.denseTable(int16 ? 'int16' : 'float') : 0;
  if (multiplier === undefined || bias === undefined || weights === undefined || table === undefined) return undefined;
  const relu = denseAttrs(node).activation === 'relu';
  /** int16: each sample's codes, padded with zeros to whole code words (16 codes). */
  const codeRowBytes = 2 * 16 * Math.ceil(features / 16);
  const epilogue = { multiplier, bias, lower: lowerBits(relu) };
  return (step) => {
    const [batch] = shapeOf(step.inputShapes, 0) as [number, number];
    if (ternary && batch >= DENSE_LANES_MIN_BATCH[int16 ? 'int16' : 'float32']) {
      return denseBySampleLanes(weight, compiled, batch, epilogue, regions, int16);
    }
    return {
      scratchBytes: () => (int16 ? batch * codeRowBytes : 0),
      threadScratchBytes: 4 * batch + 16,
      phases(io, stepRegions, threads) {
        const F = DENSE_FIELDS;
        const fields = linearDescriptor(F.SIZE, {
          ...epilogue, outWidth: 1, sumRow: 4, outRow: 4 * outChannels, out: io.output, residual: io.inputs[1] ?? 0,
        });
        fields[F.IN] = int16 ? io.scratch : io.inputs[0]!;
        fields[F.IN_ROW] = int16 ? codeRowBytes : 4 * features;
        fields[F.SAMPLES] = batch;
        fields[F.CODES] = weights;
        fields[F.CODE_ROW] = 4 * Math.ceil(features / 16);
        fields[F.TABLE] = table;
        fields[F.WEIGHTS] = weights;
        fields[F.ROW_LENGTH] = features;
        fields[F.CHUNK] = int16 ? 4 * int16Chunk(int16.qmax) : 0;
        const descriptor = stepRegions.store(fields);
        if (descriptor === undefined) return undefined;
        const task = int16 ? TASK.int16Dense : ternary ? TASK.ternaryDense : TASK.floatDense;
        const denseTasks = taskList(threadRanges(outChannels, threads).map(([o0, o1]) => [task, descriptor, o0, o1]));
        if (!int16) return [denseTasks];
        // The samples' codes first: one row of `features` values per sample, as a one-channel, one-row image.
        const quantise = storeGather(
          {
            input: io.inputs[0]!, inImageBytes: 4 * features, inChannelBytes: 0, height: 1, width: features,
            stride: [1, 1], padding: [0, 0], phases: [1, 1], planeH: 1, planeW: codeRowBytes / 2,
            grid: io.scratch, gridImageBytes: codeRowBytes, gridChannelBytes: 0, paired: false,
          },
          int16,
          stepRegions,
        );
        if (quantise === undefined) return undefined;
        return [taskList(ranges(batch, 1).map(([n]) => [TASK.int16Gather, quantise, n, 0, 1, 0, 1])), denseTasks];
      },
    };
  };
};

/**
 * Batches from these sizes on run a ternary dense as a 1×1 conv2d whose lanes are the samples (denseBySampleLanes).
 * LeNet-5's fc1 (1024 → 512, 43% zeros), ms, GEMV vs paired sample lanes, bench:cpu-layers 201 runs, load 6–7:
 * float32 batch 2 0.16 vs 0.15, 3 0.24 vs 0.14, 8 0.65 vs 0.20; int16 batch 2 0.08 vs 0.12, 3 0.14 vs 0.12,
 * 4 0.16 vs 0.14, 8 0.31 vs 0.16 (the lanes path costs about the same up to 8 samples: eight lanes per vector).
 * float32 keeps the GEMV at batch 2, where it gains nothing measurable and each sum equals the sample's alone.
 */
const DENSE_LANES_MIN_BATCH = { float32: 3, int16: 3 } as const;

/**
 * A ternary dense at batch N as the conv2d kernel sees a 1×1 convolution, a block of samples at a time: the gather
 * transposes their rows of the input [N, K] into one plane of lanes per feature (feature k a channel whose columns
 * lie K apart; at int16 quantised too), with each pair's sum and difference planes (PAIR_PLANES), and the conv kernel
 * adds or subtracts the plane of each nonzero term, eight samples per vector load and zeros skipped, where the GEMV
 * kernel spends a select, a sign flip and an add on every weight of every sample. Each sample is one output row of
 * one lane (SUM_ROW one sum), so the epilogue writes out[n·O + o] (OUT_ROW a sample's outputs, OUT_CHANNEL one
 * float): dense's layout, residual included. A block is 8 samples up to batch 8, else a whole conv group (24 float32
 * or 48 int16: one offset load feeds six vectors; LeNet-5 fc1 at batch 32 ran 0.62–0.66 ms this way, 0.74–0.78 in
 * blocks of 8): the offset lists depend on the block, not the batch, so at most two per weight are kept while the
 * model lives, where lists per batch size would add megabytes each for a large layer.
 */
function denseBySampleLanes(
  weight: Tensor,
  compiled: CompiledWeight,
  batch: number,
  epilogue: { multiplier: number; bias: number; lower: number },
  regions: ArenaRegions,
  int16: Int16Quantiser | undefined,
): WasmBoundStep | undefined {
  const [outChannels = 0, features = 0] = weight.shape;
  const lanes = batch <= BLOCK_LANES ? BLOCK_LANES : BLOCK_LANES * (int16 ? I16_LANES : F32_LANES).groupBlocks;
  // 16 to 96 bytes: a multiple of the 16 the gather sums pair planes by.
  const planeBytes = (int16 ? 2 : 4) * lanes;
  const planes = gridChannels(features, true);
  const key = `dense lanes ${planeBytes}`;
  const lists = offsetListsFor(compiled, key, () => {
    const offsets = Int32Array.from({ length: planes }, (_, plane) => plane * planeBytes);
    return storeOffsetLists(weight, offsets, regions, 1);
  });
  if (lists === undefined) return undefined;
  const groupBytes = int16 ? I16_GROUP_SUM_BYTES : GROUP_BYTES;
  /** [first sample, samples] of each block. */
  const blocks = ranges(batch, lanes).map(([n0, n1]) => [n0, n1 - n0] as const);
  const sumsChannelBytes = Math.ceil((4 * lanes) / groupBytes) * groupBytes;
  return {
    scratchBytes: () => planes * planeBytes,
    threadScratchBytes: outChannels * sumsChannelBytes,
    phases(io, stepRegions, threads) {
      const F = CONV_FIELDS;
      const fields = linearDescriptor(F.SIZE, {
        ...epilogue, outWidth: 1, sumRow: 4, outRow: 4 * outChannels, out: io.output, residual: io.inputs[1] ?? 0,
      });
      fields[F.SRC] = io.scratch;
      fields[F.OUT_IMAGE] = 4 * outChannels * lanes;
      fields[F.OUT_CHANNEL] = 4;
      fields[F.BOUNDS] = lists.bounds;
      fields[F.ROW_LENGTH] = features;
      fields[F.CHUNK] = pairedListChunk(lists, int16);
      fields[F.GRID_CHUNKS] = 1;
      fields[F.SUMS_CHANNEL] = sumsChannelBytes;
      const descriptor = stepRegions.store(fields);
      // Feature k is channel k of a one-row image whose columns, K apart, are the block's samples.
      const transpose = (samples: number) =>
        storeGather(
          {
            input: io.inputs[0]!, inImageBytes: 4 * features * lanes, inChannelBytes: 4, height: 1,
            width: samples * features, stride: [1, features], padding: [0, 0], phases: [1, 1], planeH: 1,
            planeW: lanes, grid: io.scratch, gridImageBytes: 0, gridChannelBytes: planeBytes, paired: true,
          },
          int16,
          stepRegions,
        );
      // Blocks of whole 8-sample sub-blocks, with features in fours, go through featureLanesGather instead: one
      // descriptor per block (IN_IMAGE steps its sub-blocks, GRID_IMAGE their lanes within a plane).
      const bySubBlocks = features % 4 === 0
        ? new Map(blocks.filter(([, samples]) => samples % BLOCK_LANES === 0).map(([n0]) => [
          n0,
          storeGather(
            {
              input: io.inputs[0]! + 4 * features * n0, inImageBytes: 4 * features * BLOCK_LANES, inChannelBytes: 4,
              height: 1, width: BLOCK_LANES, stride: [1, features], padding: [0, 0], phases: [1, 1], planeH: 1,
              planeW: BLOCK_LANES, grid: io.scratch, gridImageBytes: (planeBytes * BLOCK_LANES) / lanes,
              gridChannelBytes: planeBytes, paired: true,
            },
            int16,
            stepRegions,
          ),
        ]))
        : new Map<number, number | undefined>();
      // Other blocks: whole blocks share one descriptor; a last, partial block reads only its own samples.
      const others = blocks.filter(([n0]) => !bySubBlocks.has(n0));
      const transposes = new Map(others.map(([, samples]) => [samples, transpose(samples)]));
      const stored = [...transposes.values(), ...bySubBlocks.values()];
      if (descriptor === undefined || stored.includes(undefined)) return undefined;
      const channelRanges = threadRanges(outChannels, threads);
      // Whole pairs per gather task: the one writing a pair's second feature writes its sum and difference.
      const featureRanges = threadRanges(features, threads, 2);
      const quadRanges = threadRanges(features, threads, 4);
      const gather = int16 ? TASK.int16Gather : TASK.gather;
      const conv = ternaryConvTask(int16 !== undefined, lists.offsetBytes);
      const featureGather = int16 ? TASK.int16FeatureLanesGather : TASK.featureLanesGather;
      const gatherTasks = (n0: number, samples: number, block: number): Int32Array => {
        const subBlocks = bySubBlocks.get(n0);
        if (subBlocks === undefined) {
          return taskList(featureRanges.map(([k0, k1]) => [gather, transposes.get(samples)!, block, k0, k1, 0, 1]));
        }
        const subs = Array.from({ length: samples / BLOCK_LANES }, (_, sub) => sub);
        return taskList(subs.flatMap((sub) => quadRanges.map(([k0, k1]) => [featureGather, subBlocks, sub, k0, k1])));
      };
      // Block by block, so its grid stays in cache between its gather and its conv.
      return blocks.flatMap(([n0, samples], block) => [
        gatherTasks(n0, samples, block),
        taskList(channelRanges.map(([o0, o1]) => [conv, descriptor, block, o0, o1, 0, samples])),
      ]);
    },
  };
}
