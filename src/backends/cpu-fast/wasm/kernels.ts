import { A, B, C, D, DESC, E, field, increment, lessThan, Locals, SCRATCH, taskFunction, whileLoop } from './builder.js';
import { elementwiseFunctions } from './elementwise-kernels.js';
import { encodeModule, I32, op, type Code, type FunctionSpec, type MemoryImport, type ValueType } from './encode.js';

/**
 * The CPU backend's WebAssembly kernels, one module. Every task function has the signature
 * `(threadScratch, descriptor, a, b, c, d, e)`: the scratch belongs to the thread running the task, the descriptor
 * is a layer's fixed parameters (i32 fields, byte addresses and sizes, written once at bind time, see the *_FIELDS
 * tables), and a…e say which part of the layer this task computes. Tasks of one phase write disjoint outputs, so
 * they may run in any order on any thread.
 */

/** Output lanes per block: two f32x4 accumulators, or one i16x8. */
export const BLOCK_LANES = 8;

/**
 * What a conv/dense kernel sums: float32 activations in f32x4 pairs, or int16 codes (docs/FORMAT.md §7.1) in i16x8
 * vectors, widened into i32 sums before any lane could overflow. Per inner step each offset load feeds `groupBlocks`
 * blocks of 8 lanes: both take six vector registers. Measured on ResNet-18 224 (bench:cpu-layers, CPU time): 8, 10
 * or 12 accumulators ran 1.2–1.7× slower for both lane types, 4 to 7 within noise of 6.
 */
export interface LaneType {
  readonly integer: boolean;
  /** Bytes per lane of the source (grid, input): 4 or 2. Sums are 4 bytes per lane either way (f32 or i32). */
  readonly bytes: 4 | 2;
  readonly groupBlocks: number;
}
export const F32_LANES: LaneType = { integer: false, bytes: 4, groupBlocks: 3 };
export const I16_LANES: LaneType = { integer: true, bytes: 2, groupBlocks: 6 };

/** Bytes of source one float conv group reads per offset, and of its sums. */
export const GROUP_BYTES = BLOCK_LANES * F32_LANES.bytes * F32_LANES.groupBlocks;
/** Bytes a kernel may read past the end of its source (lanes past a row or a block, the last code word). */
export const OVERREAD_BYTES = Math.max(GROUP_BYTES, BLOCK_LANES * I16_LANES.bytes * I16_LANES.groupBlocks) + 256;
/** Bytes of i32 sums of one int16 conv group: its thread scratch rounds up to these. */
export const I16_GROUP_SUM_BYTES = 4 * BLOCK_LANES * I16_LANES.groupBlocks;

/**
 * Terms an i16x8 lane may take before it is widened, each adding or subtracting at most `largest` (qmax for a code,
 * 2·qmax for a conv's channel-pair sum): ⌊32767/largest⌋ of them can never leave the i16 range. The sums stay exact
 * integers.
 */
export const int16Chunk = (largest: number): number => Math.floor(32767 / largest);

/** Fields every linear (conv2d, dense) descriptor starts with: what the epilogue reads. */
export const EPILOGUE_FIELDS = {
  /** Output floats per row that are kept (conv: the output width; dense: 1). */
  OUT_WIDTH: 0,
  /** Bytes between rows of sums (conv: a grid row; dense: one float). */
  SUM_ROW: 1,
  /** Bytes between output rows (conv: an output row; dense: a sample's outputs). */
  OUT_ROW: 2,
  /** f32 per output channel: α·scale, applied once per output, and the bias. */
  MULTIPLIER: 3,
  BIAS: 4,
  /** f32 bits: 0 for relu (pmax(v, 0)), −∞ for none. */
  LOWER: 5,
  /** Output and residual address (0: none), of image 0 / sample 0 and channel 0. */
  OUT: 6,
  RESIDUAL: 7,
  /**
   * 0, or bytes between samples' outputs when the sums' lanes are samples: eight per output position (a conv whose
   * grid holds a block of images side by side, linear.ts convBySampleLanes). Then OUT_WIDTH counts positions, a
   * multiple of 4, and there is no residual.
   */
  OUT_SAMPLE: 8,
} as const;

/** conv2d over a source grid (the input in place, or its zero-padded/phase-split copy, see GATHER_FIELDS). */
export const CONV_FIELDS = {
  ...EPILOGUE_FIELDS,
  /** The grid of image 0 and its size per image; output row y reads grid rows from y·SUM_ROW on. */
  SRC: 9,
  SRC_IMAGE: 10,
  OUT_IMAGE: 11,
  OUT_CHANNEL: 12,
  /**
   * Ternary: per grid chunk c and output channel o three addresses into a list of byte offsets into the chunk's grid
   * (OffsetBytes each), at BOUNDS + c·CHUNK_BOUNDS + 8o: [+0] its +1 terms from there, [+4] its −1 terms, [+8] the
   * end (lists in that order, so a group reads them as one stream). Float: the k → offset list (i32), one for every
   * channel (one chunk).
   */
  BOUNDS: 13,
  /** Float only: f32 weights [O, K], and K. */
  WEIGHTS: 14,
  ROW_LENGTH: 15,
  /** int16 only: bytes of offsets (OffsetBytes per term) summed in i16 lanes before widening (int16Chunk). */
  CHUNK: 16,
  /**
   * Chunks of grid channels the lists are cut into, and bytes from one chunk's grid to the next: each chunk of a
   * group's lanes is read from L1 by every output channel of the task in turn (see conv).
   */
  GRID_CHUNKS: 17,
  CHUNK_GRID: 18,
  CHUNK_BOUNDS: 19,
  /** Bytes of a channel's sums in the thread scratch (4 per lane of the task's rows, in whole groups). */
  SUMS_CHANNEL: 20,
  SIZE: 21,
} as const;

/** dense over samples [N, K] (DENSE_SAMPLES samples per pass over a weight row, which stays in cache for all). */
export const DENSE_FIELDS = {
  ...EPILOGUE_FIELDS,
  IN: 9,
  /** Bytes per input sample. */
  IN_ROW: 10,
  SAMPLES: 11,
  /** Ternary: the file's packed codes (16 per u32, rows padded to whole words), bytes per row, the mask table. */
  CODES: 12,
  CODE_ROW: 13,
  TABLE: 14,
  /** Float: f32 weights [O, K] and K. */
  WEIGHTS: 15,
  ROW_LENGTH: 16,
  /** int16 only: bytes of code words summed in i16 lanes before widening (a lane takes one code per word). */
  CHUNK: 17,
  SIZE: 18,
} as const;

/**
 * The source grid of a conv2d: per image and channel, PHASES_Y·PHASES_X planes of PLANE_H × PLANE_W, plane (py, px)
 * holding the zero-padded input at rows s·Y + py and columns s·X + px. Stride 1 has one plane (the padded input);
 * stride s turns into stride-1 reads within a plane, so every conv reads its grid in place. The int16 gather writes
 * each value's code q = clamp(roundTiesToEven(x·s), −qmax, qmax) instead (docs/FORMAT.md §7.1; padding is q = 0).
 */
export const GATHER_FIELDS = {
  IN: 0,
  IN_IMAGE: 1,
  IN_CHANNEL: 2,
  HEIGHT: 3,
  /** In floats. */
  WIDTH: 4,
  STRIDE_Y: 5,
  STRIDE_X: 6,
  PAD_TOP: 7,
  PAD_LEFT: 8,
  PHASES_Y: 9,
  PHASES_X: 10,
  PLANE_H: 11,
  /** In floats. */
  PLANE_W: 12,
  GRID: 13,
  GRID_IMAGE: 14,
  /** Bytes between a pair's channels; pairs follow each other every 2 (or, PAIRED, 4) channels. */
  GRID_CHANNEL: 15,
  /**
   * 1: after each pair's second channel, its sum and difference planes (grid channels 2 and 3 of the pair), which
   * ternary convs read to apply a pair's two weights with one add (linear.ts, PAIR_PLANES).
   */
  PAIRED: 16,
  /** int16 only: the quantiser's s (f32 bits) and qmax. */
  SCALE: 17,
  QMAX: 18,
  SIZE: 19,
} as const;

/** maxpool/avgpool (window clamped to the image) and global average pooling, per plane. */
export const POOL_FIELDS = {
  IN: 0,
  OUT: 1,
  HEIGHT: 2,
  WIDTH: 3,
  OUT_HEIGHT: 4,
  OUT_WIDTH: 5,
  KERNEL_H: 6,
  KERNEL_W: 7,
  STRIDE_Y: 8,
  STRIDE_X: 9,
  PAD_TOP: 10,
  PAD_LEFT: 11,
  SIZE: 12,
} as const;

/** Task functions by index, as tasks name them (TASK_INTS: the index, then up to five arguments after the descriptor). */
export const TASK = {
  ternaryConv: 0, floatConv: 1, gather: 2, ternaryDense: 3, floatDense: 4, maxPool: 5, avgPool: 6, globalAvgPool: 7,
  int16Conv: 8, int16Gather: 9, int16Dense: 10,
  relu: 11, add: 12, channelAffine: 13, softmax: 14, sampleLanesGather: 15, int16SampleLanesGather: 16,
  featureLanesGather: 17, int16FeatureLanesGather: 18, ternaryConvShortOffsets: 19, int16ConvShortOffsets: 20,
} as const;

/**
 * Bytes per entry of a ternary conv's offset lists: u16 where every offset of the layer's chunk is below 64 KiB
 * (most layers: half the bytes to write at load and to stream past at every lane group), i32 otherwise.
 */
export type OffsetBytes = 2 | 4;

/** The task function of a ternary conv (the conv kernel that a ternary dense runs too) for its lanes and lists. */
export const ternaryConvTask = (int16: boolean, offsetBytes: OffsetBytes): number =>
  offsetBytes === 2
    ? int16 ? TASK.int16ConvShortOffsets : TASK.ternaryConvShortOffsets
    : int16 ? TASK.int16Conv : TASK.ternaryConv;

export const TASK_INTS = 8;
export type TaskFunction = (scratch: number, descriptor: number, a: number, b: number, c: number, d: number, e: number) => void;

const { localGet: get, localSet: set, localTee: tee, i32Const: int } = op;

/** Index of `epilogue` in the module (called by the linear kernels). */
const EPILOGUE_FUNCTION = 0;

/** i8x16.shuffle of f32 lanes: 0–3 of the first operand, 4–7 of the second. */
const f32Shuffle = (lanes: readonly number[]): Code =>
  op.i8x16Shuffle(lanes.flatMap((lane) => [0, 1, 2, 3].map((byte) => 4 * lane + byte)));

/**
 * The 4×4 transpose of the 32-bit lanes of the vectors in locals `rows`, by way of four `temps`: `use(i, row)` gets
 * the Code pushing the transpose's row i (lane i of each vector) and returns what to do with it.
 */
const transposeQuad = (
  rows: readonly number[],
  temps: readonly number[],
  use: (i: number, row: Code) => Code,
): Code => [
  [[0, 4, 1, 5], [2, 6, 3, 7]].map((order, i) => [
    get(rows[0]!), get(rows[1]!), f32Shuffle(order), set(temps[2 * i]!),
    get(rows[2]!), get(rows[3]!), f32Shuffle(order), set(temps[2 * i + 1]!),
  ]),
  [0, 1, 2, 3].map((i) =>
    use(i, [get(temps[i & 2]!), get(temps[(i & 2) + 1]!), f32Shuffle(i & 1 ? [2, 3, 6, 7] : [0, 1, 4, 5])])),
];

/**
 * epilogue(descriptor, sums, out, residual, channel, rows): out[r·OUT_ROW + x] = max(LOWER, m·sums[r·SUM_ROW + x]
 * + b + residual[…]) for x < OUT_WIDTH, m and b of `channel`; four lanes at a time, the last partial vector stored
 * lane by lane. The one multiply per output (α·scale, times r/qmax for int16) happens here, never in the ternary
 * kernels. Integer lanes: the sums are i32, converted to f32 first. With OUT_SAMPLE, lanes are samples (see there).
 */
function epilogue(lanes: LaneType): FunctionSpec {
  const [DESCRIPTOR, SUMS, OUT, RESIDUAL, CHANNEL, ROWS] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const [m, b, lower, value] = [locals.v128(), locals.v128(), locals.v128(), locals.v128()];
  const [x, vectorEnd, tail] = [locals.i32(), locals.i32(), locals.i32()];
  const channelF32 = (fieldIndex: number): Code => [
    field(DESCRIPTOR, fieldIndex), get(CHANNEL), int(2), op.i32Shl, op.i32Add, op.f32Load(), op.f32x4Splat,
  ];
  const compute: Code = [
    get(SUMS), get(x), op.i32Add, op.v128Load(), lanes.integer ? op.f32x4ConvertI32x4S : [],
    get(m), op.f32x4Mul, get(b), op.f32x4Add, set(value),
    get(RESIDUAL), op.if(get(value), get(RESIDUAL), get(x), op.i32Add, op.v128Load(), op.f32x4Add, set(value)),
    get(value), get(lower), op.f32x4Pmax, set(value),
  ];
  const storeLane = (lane: number): Code => [
    get(OUT), get(x), op.i32Add, get(value), op.f32x4ExtractLane(lane), op.f32Store(4 * lane),
  ];
  // OUT_SAMPLE: x steps through four positions (16 bytes of output) at a time, whose sums lie 8·x bytes in. Each
  // half of the eight samples is four positions' vectors of four samples, transposed into four samples' vectors of
  // four positions, each stored at its sample's output.
  const quad = Array.from({ length: 4 }, locals.v128);
  const temps = Array.from({ length: 4 }, locals.v128);
  const sampleHalf = (half: number): Code => [
    quad.map((vector, position) => [
      get(SUMS), get(x), int(3), op.i32Shl, op.i32Add, op.v128Load(32 * position + 16 * half),
      lanes.integer ? op.f32x4ConvertI32x4S : [], get(m), op.f32x4Mul, get(b), op.f32x4Add, get(lower), op.f32x4Pmax,
      set(vector),
    ]),
    transposeQuad(quad, temps, (sample, row) => [
      get(OUT), get(x), op.i32Add, field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_SAMPLE), int(4 * half + sample), op.i32Mul,
      op.i32Add, row, op.v128Store(),
    ]),
  ];
  const vectorRow = whileLoop(
    lessThan(x, vectorEnd), compute, get(OUT), get(x), op.i32Add, get(value), op.v128Store(), increment(x, int(16)),
  );
  const tailRow: Code = [
    get(tail),
    op.if(
      compute, storeLane(0),
      get(tail), int(1), op.i32GtS, op.if(storeLane(1)),
      get(tail), int(2), op.i32GtS, op.if(storeLane(2)),
    ),
  ];
  /** `row` for each of ROWS rows, x from 0. */
  const rows = (row: Code): Code =>
    whileLoop(
      [get(ROWS), int(0), op.i32GtS],
      int(0), set(x),
      row,
      increment(SUMS, field(DESCRIPTOR, EPILOGUE_FIELDS.SUM_ROW)),
      increment(OUT, field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_ROW)),
      get(RESIDUAL), op.if(increment(RESIDUAL, field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_ROW))),
      increment(ROWS, int(-1)),
    );
  const body: Code = [
    channelF32(EPILOGUE_FIELDS.MULTIPLIER), set(m), channelF32(EPILOGUE_FIELDS.BIAS), set(b),
    get(DESCRIPTOR), op.f32Load(4 * EPILOGUE_FIELDS.LOWER), op.f32x4Splat, set(lower),
    field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_WIDTH), int(3), op.i32And, set(tail),
    field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_WIDTH), int(-4), op.i32And, int(2), op.i32Shl, set(vectorEnd),
    // One loop per layout, chosen once per call.
    field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_SAMPLE),
    op.if(rows(whileLoop(lessThan(x, vectorEnd), sampleHalf(0), sampleHalf(1), increment(x, int(16))))),
    field(DESCRIPTOR, EPILOGUE_FIELDS.OUT_SAMPLE), op.i32Eqz,
    op.if(rows([vectorRow, tailRow])),
  ];
  return { name: 'epilogue', params: new Array<ValueType>(6).fill(I32), locals: locals.types, body };
}

/** `local = local ? local + by : 0`: a residual address that stays 0 when there is none. */
const advanceIfSet = (local: number, by: Code): Code => [get(local), op.if(increment(local, by))];

/**
 * conv2d, ternary or float: task (n, oStart, oEnd, y0, y1) computes channels [oStart, oEnd) of output rows [y0, y1)
 * of image n. The rows' grid lanes (y1 − y0 grid rows, contiguous) are summed in groups of `groupBlocks` blocks, then
 * in pairs, then block by block; lanes past the output width are computed and dropped by the epilogue. Each listed
 * term's byte offset into its chunk's grid is precomputed, so an inner step is one offset load, one add, and per
 * vector one load at a fixed immediate with an add or subtract (ternary: never a multiply) or a multiply-add (float).
 * Loop order: group, grid chunk, output channel, so the part of a chunk that a group reads stays in L1 while every
 * channel of the task reads it (the lists stream past instead); each channel's sums wait in the thread scratch
 * (SUMS_CHANNEL apart) between chunks, and go through the epilogue channel by channel at the end. Per lane, the sum
 * order is fixed (chunk by chunk, +1 terms then −1 terms), whatever the task cut. int16 lanes (ternary only): i16x8
 * adds and subtracts of codes, CHUNK bytes of offsets at a time, each time widened into the i32 sums.
 */
function conv(kind: 'ternary' | 'float', lanes: LaneType, offsetBytes: OffsetBytes = 4): FunctionSpec {
  const name = `${lanes.integer ? 'int16' : kind}Conv${offsetBytes === 2 ? 'ShortOffsets' : ''}`;
  return taskFunction(name, (locals) => {
    const F = CONV_FIELDS;
    const [src, out, residual, channel, bounds] = [locals.i32(), locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const [start, plusEnd, end, cursor, lane] = [locals.i32(), locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const [address, groupEnd, pairEnd, blockEnd, rows] = [locals.i32(), locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const [weight, chunk, chunkLanes, sums] = [locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const [chunkEnd, addEnd] = lanes.integer ? [locals.i32(), locals.i32()] : [0, 0];
    const vectorsPerBlock = (BLOCK_LANES * lanes.bytes) / 16;
    const accumulators = Array.from({ length: vectorsPerBlock * lanes.groupBlocks }, locals.v128);
    const splatWeight = locals.v128();
    const [N, O_START, O_END, Y0, Y1] = [A, B, C, D, E];
    const [add, subtract] = lanes.integer ? [op.i16x8Add, op.i16x8Sub] : [op.f32x4Add, op.f32x4Sub];
    /** Grid bytes from sum bytes (SUM_ROW counts sums, 4 bytes per lane). */
    const gridBytes = (sumBytes: Code): Code => (lanes.integer ? [sumBytes, int(1), op.i32ShrU] : sumBytes);

    /** The current channel's sums of `blocks` blocks at chunkLanes (this chunk's grid at the group's lanes). */
    const channelGroup = (blocks: number): Code => {
      const used = accumulators.slice(0, vectorsPerBlock * blocks);
      const step = (combine: Code, weighted: boolean): Code => [
        get(chunkLanes), get(cursor), offsetBytes === 2 ? op.i32Load16U() : op.i32Load(), op.i32Add, set(address),
        weighted ? [get(weight), op.f32Load(), op.f32x4Splat, set(splatWeight)] : [],
        used.map((accumulator, i) => [
          get(accumulator), get(address), op.v128Load(16 * i), weighted ? [get(splatWeight), op.f32x4Mul] : [], combine, set(accumulator),
        ]),
        increment(cursor, int(offsetBytes)),
        weighted ? increment(weight, int(4)) : [],
      ];
      const zeroAccumulators = used.map((accumulator) => [op.v128Zero, set(accumulator)]);
      const minimum = (a: number, b: number, into: number): Code => [
        get(a), get(b), lessThan(a, b), op.select, set(into),
      ];
      if (!lanes.integer) {
        const loadSums = used.map((accumulator, i) => [get(sums), op.v128Load(16 * i), set(accumulator)]);
        const storeSums = used.map((accumulator, i) => [get(sums), get(accumulator), op.v128Store(16 * i)]);
        return [
          // The first chunk starts the sums, later ones go on from them.
          get(chunk), op.if(loadSums), get(chunk), op.i32Eqz, op.if(zeroAccumulators),
          get(start), set(cursor),
          kind === 'float'
            ? [get(plusEnd), set(weight), whileLoop(lessThan(cursor, end), step(add, true))]
            : [whileLoop(lessThan(cursor, plusEnd), step(add, false)), whileLoop(lessThan(cursor, end), step(subtract, false))],
          storeSums,
        ];
      }
      /** i32 sums += the widened i16 lanes: low four lanes, then high four. */
      const widen = used.map((accumulator, i) =>
        [op.i32x4ExtendLowI16x8S, op.i32x4ExtendHighI16x8S].map((extend, half) => [
          get(sums), get(sums), op.v128Load(32 * i + 16 * half), get(accumulator), extend, op.i32x4Add,
          op.v128Store(32 * i + 16 * half),
        ]),
      );
      const zeroSums = used.map((_, i) => [
        get(sums), op.v128Zero, op.v128Store(32 * i), get(sums), op.v128Zero, op.v128Store(32 * i + 16),
      ]);
      return [
        get(chunk), op.i32Eqz, op.if(zeroSums),
        get(start), set(cursor),
        whileLoop(
          lessThan(cursor, end),
          zeroAccumulators,
          get(cursor), field(DESC, F.CHUNK), op.i32Add, set(chunkEnd),
          minimum(chunkEnd, end, chunkEnd),
          minimum(chunkEnd, plusEnd, addEnd),
          whileLoop(lessThan(cursor, addEnd), step(add, false)),
          whileLoop(lessThan(cursor, chunkEnd), step(subtract, false)),
          widen,
        ),
      ];
    };

    // The channel's terms in this chunk: ternary, [start, plusEnd) adds and [plusEnd, end) subtracts; float, every k
    // of the shared offset list [start, end) with its weight from plusEnd on.
    const channelRows: Code = kind === 'ternary'
      ? [get(bounds), op.i32Load(0), set(start), get(bounds), op.i32Load(4), set(plusEnd), get(bounds), op.i32Load(8), set(end)]
      : [
        field(DESC, F.BOUNDS), set(start),
        get(start), field(DESC, F.ROW_LENGTH), int(2), op.i32Shl, op.i32Add, set(end),
        field(DESC, F.WEIGHTS), get(channel), field(DESC, F.ROW_LENGTH), op.i32Mul, int(2), op.i32Shl, op.i32Add, set(plusEnd),
      ];
    /** Every channel's sums of `blocks` blocks at `lane`, chunk by chunk. */
    const group = (blocks: number): Code => [
      int(0), set(chunk),
      get(src), get(lane), op.i32Add, set(chunkLanes),
      whileLoop(
        [get(chunk), field(DESC, F.GRID_CHUNKS), op.i32LtS],
        field(DESC, F.BOUNDS), get(chunk), field(DESC, F.CHUNK_BOUNDS), op.i32Mul, op.i32Add,
        get(O_START), int(3), op.i32Shl, op.i32Add, set(bounds),
        get(SCRATCH), get(lane), lanes.integer ? [int(1), op.i32Shl] : [], op.i32Add, set(sums),
        get(O_START), set(channel),
        whileLoop(
          lessThan(channel, O_END),
          channelRows,
          channelGroup(blocks),
          increment(bounds, int(8)),
          increment(sums, field(DESC, F.SUMS_CHANNEL)),
          increment(channel, int(1)),
        ),
        increment(chunkLanes, field(DESC, F.CHUNK_GRID)),
        increment(chunk, int(1)),
      ),
      increment(lane, int(16 * vectorsPerBlock * blocks)),
    ];
    const outOffset: Code = [
      get(N), field(DESC, F.OUT_IMAGE), op.i32Mul, get(Y0), field(DESC, F.OUT_ROW), op.i32Mul, op.i32Add,
      get(O_START), field(DESC, F.OUT_CHANNEL), op.i32Mul, op.i32Add,
    ];
    const blockBytes = BLOCK_LANES * lanes.bytes;
    return [
      field(DESC, F.SRC), get(N), field(DESC, F.SRC_IMAGE), op.i32Mul, op.i32Add,
      get(Y0), gridBytes(field(DESC, F.SUM_ROW)), op.i32Mul, op.i32Add, set(src),
      get(Y1), get(Y0), op.i32Sub, set(rows),
      // Bytes of lanes: whole blocks, then the part that fills whole groups.
      get(rows), gridBytes(field(DESC, F.SUM_ROW)), op.i32Mul,
      int(blockBytes - 1), op.i32Add, int(-blockBytes), op.i32And, set(blockEnd),
      get(blockEnd), get(blockEnd), int(blockBytes * lanes.groupBlocks), op.i32RemU, op.i32Sub, set(groupEnd),
      get(blockEnd), get(blockEnd), get(groupEnd), op.i32Sub, int(blockBytes * 2), op.i32RemU, op.i32Sub, set(pairEnd),
      int(0), set(lane),
      whileLoop(lessThan(lane, groupEnd), group(lanes.groupBlocks)),
      whileLoop(lessThan(lane, pairEnd), group(2)),
      whileLoop(lessThan(lane, blockEnd), group(1)),
      field(DESC, F.OUT), outOffset, op.i32Add, set(out),
      field(DESC, F.RESIDUAL), set(residual),
      get(residual), op.if(get(residual), outOffset, op.i32Add, set(residual)),
      get(SCRATCH), set(sums),
      get(O_START), set(channel),
      whileLoop(
        lessThan(channel, O_END),
        get(DESC), get(sums), get(out), get(residual), get(channel), get(rows), op.call(EPILOGUE_FUNCTION),
        increment(sums, field(DESC, F.SUMS_CHANNEL)),
        increment(out, field(DESC, F.OUT_CHANNEL)),
        advanceIfSet(residual, field(DESC, F.OUT_CHANNEL)),
        increment(channel, int(1)),
      ),
    ];
  });
}

/** The i16x8 codes on the stack clamped to ±qmax (local `qmaxVector`: qmax in every lane). */
const clampCodes = (qmaxVector: number): Code => [
  get(qmaxVector), op.i16x8MinS, op.v128Zero, get(qmaxVector), op.i16x8Sub, op.i16x8MaxS,
];

/** i8x16.shuffle lanes taking f32 lanes 0, 2 of the first operand, then of the second. */
const EVEN_F32_LANES = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** i8x16.shuffle lanes taking f32 lanes 1, 3 of the first operand, then of the second. */
const ODD_F32_LANES = EVEN_F32_LANES.map((byte) => byte + 4);
/** i8x16.shuffle lanes taking i16 lanes 0, 2, 4, 6 of the first operand, then of the second. */
const EVEN_I16_LANES = [0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29];

/**
 * The zero-padded, phase-split grid of a conv2d input (GATHER_FIELDS): task (n, cStart, cEnd, yStart, yEnd) writes
 * rows [yStart, yEnd) of every phase plane of those channels, and the task whose rows end the planes (yEnd ≥ PLANE_H)
 * the zeros after the last plane, so that a thread can gather the rows it will convolve. Each grid row is zeros,
 * the in-image columns (one memory.copy at stride 1; otherwise a strided loop, at stride 2 four at a time first: the
 * even lanes of two vectors), then zeros. int16 lanes: the columns are quantised on the way, eight at a time at
 * stride 1 and 2 (f32x4 multiply by s, nearest, saturating truncation, narrow, at stride 2 a shuffle of the even
 * columns, clamp to ±qmax), one at a time otherwise and for the last few.
 * PAIRED: once a pair's second channel's rows of a plane are written, their sums and differences (pairPlanes).
 */
function gather(lanes: LaneType): FunctionSpec {
  return taskFunction(lanes.integer ? 'int16Gather' : 'gather', (locals) => {
    const G = GATHER_FIELDS;
    const src = locals.i32(), dst = locals.i32(), channel = locals.i32(), py = locals.i32(), px = locals.i32(), y = locals.i32(), row = locals.i32(), xLow = locals.i32(), xHigh = locals.i32(), from = locals.i32(), x = locals.i32(), stride = locals.i32();
    const vectorEnd = locals.i32();
    const [code, qmax] = lanes.integer ? [locals.i32(), locals.i32()] : [0, 0];
    const [planes, rowsFrom] = [locals.i32(), locals.i32()];
    const [scale, scaleVector, qmaxVector] = lanes.integer ? [locals.f32(), locals.v128(), locals.v128()] : [0, 0, 0];
    const elementShift = lanes.bytes === 4 ? 2 : 1;
    const [N, C_START, C_END, Y_START, Y_END] = [A, B, C, D, E];
    const f = (index: number): Code => field(DESC, index);
    const pairs = pairPlanes(lanes, locals);
    /** Whether this channel is a pair's second, whose sums and differences follow it. */
    const pairsHere: Code = [f(G.PAIRED), get(channel), op.i32And];
    const rowBytes: Code = [f(G.PLANE_W), int(elementShift), op.i32Shl];
    /** ⌈(value)/stride⌉ for value ≥ −stride, clamped to [0, PLANE_W]. */
    const clampedCeil = (value: Code, into: number): Code => [
      value, get(stride), op.i32Add, int(1), op.i32Sub, get(stride), op.i32DivS, set(into),
      get(into), int(0), get(into), int(0), op.i32GtS, op.select, set(into),
      get(into), f(G.PLANE_W), get(into), f(G.PLANE_W), op.i32LtS, op.select, set(into),
    ];
    const fill = (at: Code, elements: Code): Code => [
      at, int(0), elements, int(elementShift), op.i32Shl, op.memoryFill,
    ];
    const quantiseVector = (offset: number): Code => [
      get(from), op.v128Load(offset), get(scaleVector), op.f32x4Mul, op.f32x4Nearest, op.i32x4TruncSatF32x4S,
    ];
    /** Eight columns at stride `step` (1 or 2: then the even ones of sixteen) into the row's codes at x. */
    const quantiseEight = (step: number): Code =>
      whileLoop(
        lessThan(x, vectorEnd),
        get(row), get(x), int(1), op.i32Shl, op.i32Add,
        quantiseVector(0), quantiseVector(16), op.i16x8NarrowI32x4S,
        step === 2
          ? [quantiseVector(32), quantiseVector(48), op.i16x8NarrowI32x4S, op.i8x16Shuffle(EVEN_I16_LANES)]
          : [],
        clampCodes(qmaxVector), op.v128Store(),
        increment(from, int(32 * step)),
        increment(x, int(8)),
      );
    const quantiseColumns: Code = [
      get(xLow), set(x),
      get(xLow), get(xHigh), get(xLow), op.i32Sub, int(-8), op.i32And, op.i32Add, set(vectorEnd),
      get(stride), int(1), op.i32Sub, op.i32Eqz, op.if(quantiseEight(1)),
      get(stride), int(2), op.i32Sub, op.i32Eqz, op.if(quantiseEight(2)),
      whileLoop(
        lessThan(x, xHigh),
        get(from), op.f32Load(), get(scale), op.f32Mul, op.f32Nearest, op.i32TruncSatF32S, set(code),
        get(code), get(qmax), lessThan(code, qmax), op.select, set(code),
        get(row), get(x), int(1), op.i32Shl, op.i32Add,
        get(code), int(0), get(qmax), op.i32Sub, get(code), int(0), get(qmax), op.i32Sub, op.i32GtS, op.select,
        op.i32Store16(),
        increment(from, [get(stride), int(2), op.i32Shl]),
        increment(x, int(1)),
      ),
    ];
    const copyColumns: Code = [
      get(stride), int(1), op.i32GtS, op.i32Eqz,
      op.if(get(row), get(xLow), int(2), op.i32Shl, op.i32Add, get(from), get(xHigh), get(xLow), op.i32Sub, int(2), op.i32Shl, op.memoryCopy),
      get(stride), int(1), op.i32GtS,
      op.if(
        get(xLow), set(x),
        // Stride 2: four columns at a time, the even lanes of eight (one more than they need is read).
        get(stride), int(2), op.i32Sub, op.i32Eqz,
        op.if(
          get(xLow), get(xHigh), get(xLow), op.i32Sub, int(-4), op.i32And, op.i32Add, set(vectorEnd),
          whileLoop(
            lessThan(x, vectorEnd),
            get(row), get(x), int(2), op.i32Shl, op.i32Add,
            get(from), op.v128Load(), get(from), op.v128Load(16), op.i8x16Shuffle(EVEN_F32_LANES), op.v128Store(),
            increment(from, int(32)),
            increment(x, int(4)),
          ),
        ),
        whileLoop(
          lessThan(x, xHigh),
          get(row), get(x), int(2), op.i32Shl, op.i32Add, get(from), op.f32Load(), op.f32Store(),
          increment(from, [get(stride), int(2), op.i32Shl]),
          increment(x, int(1)),
        ),
      ),
    ];
    const inRow: Code = [
      fill(get(row), get(xLow)),
      // Source of column xLow: row (y·s + py − padTop), column xLow·s + px − padLeft.
      get(src), get(y), f(G.STRIDE_Y), op.i32Mul, get(py), op.i32Add, f(G.PAD_TOP), op.i32Sub, f(G.WIDTH), op.i32Mul,
      get(xLow), get(stride), op.i32Mul, op.i32Add, get(px), op.i32Add, f(G.PAD_LEFT), op.i32Sub, int(2), op.i32Shl, op.i32Add, set(from),
      lanes.integer ? quantiseColumns : copyColumns,
      fill([get(row), get(xHigh), int(elementShift), op.i32Shl, op.i32Add], [f(G.PLANE_W), get(xHigh), op.i32Sub]),
    ];
    const sourceRow: Code = [get(y), f(G.STRIDE_Y), op.i32Mul, get(py), op.i32Add, f(G.PAD_TOP), op.i32Sub];
    const quantiser: Code = lanes.integer
      ? [
        get(DESC), op.f32Load(4 * G.SCALE), tee(scale), op.f32x4Splat, set(scaleVector),
        f(G.QMAX), tee(qmax), op.i16x8Splat, set(qmaxVector),
      ]
      : [];
    return [
      quantiser,
      f(G.STRIDE_X), set(stride),
      get(C_START), set(channel),
      whileLoop(
        lessThan(channel, C_END),
        f(G.IN), get(N), f(G.IN_IMAGE), op.i32Mul, op.i32Add, get(channel), f(G.IN_CHANNEL), op.i32Mul, op.i32Add, set(src),
        // Channel 2p + h at GRID_CHANNEL·(h + p·(2 or 4)).
        f(G.GRID), get(N), f(G.GRID_IMAGE), op.i32Mul, op.i32Add,
        get(channel), int(1), op.i32ShrU, int(1), f(G.PAIRED), op.i32Add, op.i32Shl, get(channel), int(1), op.i32And,
        op.i32Add, f(G.GRID_CHANNEL), op.i32Mul, op.i32Add, tee(dst), set(planes),
        int(0), set(py),
        whileLoop(
          [get(py), f(G.PHASES_Y), op.i32LtS],
          int(0), set(px),
          whileLoop(
            [get(px), f(G.PHASES_X), op.i32LtS],
            clampedCeil([f(G.PAD_LEFT), get(px), op.i32Sub], xLow),
            clampedCeil([f(G.WIDTH), f(G.PAD_LEFT), op.i32Add, get(px), op.i32Sub], xHigh),
            get(xHigh), get(xLow), get(xHigh), get(xLow), op.i32GtS, op.select, set(xHigh),
            get(dst), get(Y_START), rowBytes, op.i32Mul, op.i32Add, tee(rowsFrom), set(row),
            get(Y_START), set(y),
            whileLoop(
              lessThan(y, Y_END),
              sourceRow, f(G.HEIGHT), op.i32LtU,
              op.if(inRow),
              sourceRow, f(G.HEIGHT), op.i32GeU,
              op.if(fill(get(row), f(G.PLANE_W))),
              increment(row, rowBytes),
              increment(y, int(1)),
            ),
            pairsHere, op.if(pairs(get(rowsFrom), get(row))),
            increment(dst, [f(G.PLANE_H), rowBytes, op.i32Mul]),
            increment(px, int(1)),
          ),
          increment(py, int(1)),
        ),
        // Zeros up to the next channel (a plane whose last row's right padding is the next row's left one reads
        // them), their sums and differences too, from the task writing the planes' last rows.
        [get(Y_END), f(G.PLANE_H), op.i32GeS],
        op.if(
          [f(G.GRID_CHANNEL), get(planes), op.i32Add, get(dst), op.i32Sub, tee(y), int(0), op.i32GtS],
          op.if(get(dst), int(0), get(y), op.memoryFill),
          pairsHere, op.if(pairs(get(dst), [f(G.GRID_CHANNEL), get(planes), op.i32Add])),
        ),
        increment(channel, int(1)),
      ),
    ];
  });
}

/**
 * A gather's sums and differences of a channel pair (GATHER_FIELDS.PAIRED) over bytes [from, to) of the pair's
 * second channel: its first is GRID_CHANNEL before them, the sum and difference planes GRID_CHANNEL and twice that
 * after them. Sixteen bytes at a time, then element by element (exact for int16 codes, |q| ≤ qmax ≤ 16383).
 */
function pairPlanes(lanes: LaneType, locals: Locals): (from: Code, to: Code) => Code {
  const [end, second, first, other] = [locals.i32(), locals.i32(), locals.v128(), locals.v128()];
  const [firstValue, otherValue] = lanes.integer ? [locals.i32(), locals.i32()] : [locals.f32(), locals.f32()];
  const gridChannel = field(DESC, GATHER_FIELDS.GRID_CHANNEL);
  const [add, subtract] = lanes.integer ? [op.i16x8Add, op.i16x8Sub] : [op.f32x4Add, op.f32x4Sub];
  const [addValue, subtractValue] = lanes.integer ? [op.i32Add, op.i32Sub] : [op.f32Add, op.f32Sub];
  const [loadValue, storeValue] = lanes.integer ? [op.i32Load16S, op.i32Store16] : [op.f32Load, op.f32Store];
  return (from, to) => [
    from, set(second),
    to, set(end),
    whileLoop(
      [get(second), int(16), op.i32Add, get(end), op.i32LeS],
      get(second), gridChannel, op.i32Sub, op.v128Load(), set(first),
      get(second), op.v128Load(), set(other),
      get(second), gridChannel, op.i32Add, get(first), get(other), add, op.v128Store(),
      get(second), gridChannel, int(1), op.i32Shl, op.i32Add, get(first), get(other), subtract, op.v128Store(),
      increment(second, int(16)),
    ),
    whileLoop(
      lessThan(second, end),
      get(second), gridChannel, op.i32Sub, loadValue(), set(firstValue),
      get(second), loadValue(), set(otherValue),
      get(second), gridChannel, op.i32Add, get(firstValue), get(otherValue), addValue, storeValue(),
      get(second), gridChannel, int(1), op.i32Shl, op.i32Add, get(firstValue), get(otherValue), subtractValue,
      storeValue(),
      increment(second, int(lanes.bytes)),
    ),
  ];
}

/**
 * The front both lane gathers share: from local `at` on, one vector of the next four values of each of BLOCK_LANES
 * samples `sampleBytes` apart (int16: quantised as gather does), then each half of the block transposed into four
 * vectors of four samples, `use(half, j, row)` taking row j of half `half`.
 */
function sampleBlockTranspose(lanes: LaneType, locals: Locals, sampleBytes: number) {
  const loaded = Array.from({ length: BLOCK_LANES }, locals.v128);
  const temps = Array.from({ length: 4 }, locals.v128);
  const [scaleVector, qmaxVector] = lanes.integer ? [locals.v128(), locals.v128()] : [0, 0];
  return {
    /** Before the loops: the quantiser's scale and clamp vectors (int16 only). */
    setup: lanes.integer
      ? [
        get(DESC), op.f32Load(4 * GATHER_FIELDS.SCALE), op.f32x4Splat, set(scaleVector),
        field(DESC, GATHER_FIELDS.QMAX), op.i16x8Splat, set(qmaxVector),
      ]
      : [],
    transposed: (at: number, use: (half: number, j: number, row: Code) => Code): Code => [
      loaded.map((vector) => [
        get(at), op.v128Load(),
        lanes.integer ? [get(scaleVector), op.f32x4Mul, op.f32x4Nearest, op.i32x4TruncSatF32x4S] : [],
        set(vector), increment(at, get(sampleBytes)),
      ]),
      [0, 1].map((half) =>
        transposeQuad(loaded.slice(4 * half, 4 * half + 4), temps, (j, row) => use(half, j, row))),
    ],
    /** int16: the i32 codes of two halves' vectors narrowed into one clamped i16x8. */
    narrowed: (low: number, high: number): Code => [
      get(low), get(high), op.i16x8NarrowI32x4S, clampCodes(qmaxVector),
    ],
  };
}

/**
 * A block of BLOCK_LANES images as lanes (linear.ts convBySampleLanes): task (block, cStart, cEnd) of a gather
 * descriptor whose rows are positions (HEIGHT of them, a multiple of 4, one float apart), whose images are STRIDE_X
 * floats apart and whose planes are 8 lanes wide. Each image's next four positions are loaded as one vector and
 * each half of the block transposed into four positions' vectors of four images; int16 lanes quantise first, as
 * gather does, and narrow the halves into one i16x8 per position. Then a pair's sum and difference planes, as gather.
 */
function sampleLanesGather(lanes: LaneType): FunctionSpec {
  return taskFunction(lanes.integer ? 'int16SampleLanesGather' : 'sampleLanesGather', (locals) => {
    const G = GATHER_FIELDS;
    const [channel, src, planes, position] = [locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const [end, at, sampleBytes] = [locals.i32(), locals.i32(), locals.i32()];
    const block = sampleBlockTranspose(lanes, locals, sampleBytes);
    const quads = lanes.integer ? Array.from({ length: BLOCK_LANES }, locals.v128) : [];
    const [BLOCK, C_START, C_END] = [A, B, C];
    const f = (index: number): Code => field(DESC, index);
    // Position p of image 4·half + i: lane i of quads[4·half + p] (float: stored as it is; int16: narrowed below).
    const transposed = block.transposed(at, (half, p, row) =>
      lanes.integer
        ? [row, set(quads[4 * half + p]!)]
        : [get(planes), get(position), int(3), op.i32Shl, op.i32Add, row, op.v128Store(32 * p + 16 * half)],
    );
    const narrow = lanes.integer
      ? [0, 1, 2, 3].map((p) => [
        get(planes), get(position), int(2), op.i32Shl, op.i32Add, block.narrowed(quads[p]!, quads[4 + p]!),
        op.v128Store(16 * p),
      ])
      : [];
    return [
      block.setup,
      f(G.STRIDE_X), int(2), op.i32Shl, set(sampleBytes),
      f(G.HEIGHT), int(2), op.i32Shl, set(end),
      get(C_START), set(channel),
      whileLoop(
        lessThan(channel, C_END),
        f(G.IN), get(BLOCK), f(G.IN_IMAGE), op.i32Mul, op.i32Add, get(channel), f(G.IN_CHANNEL), op.i32Mul, op.i32Add,
        set(src),
        // Channel 2p + h at GRID_CHANNEL·(h + p·(2 or 4)), as gather places it.
        f(G.GRID), get(BLOCK), f(G.GRID_IMAGE), op.i32Mul, op.i32Add,
        get(channel), int(1), op.i32ShrU, int(1), f(G.PAIRED), op.i32Add, op.i32Shl, get(channel), int(1), op.i32And,
        op.i32Add, f(G.GRID_CHANNEL), op.i32Mul, op.i32Add, set(planes),
        int(0), set(position),
        whileLoop(
          lessThan(position, end),
          get(src), get(position), op.i32Add, set(at),
          transposed, narrow,
          increment(position, int(16)),
        ),
        [f(G.PAIRED), get(channel), op.i32And],
        op.if(pairPlanes(lanes, locals)(get(planes), [get(planes), f(G.GRID_CHANNEL), op.i32Add])),
        increment(channel, int(1)),
      ),
    ];
  });
}

/**
 * The planes of a dense by sample lanes (linear.ts denseBySampleLanes) for a whole number of 8-sample sub-blocks:
 * task (sub, kStart, kEnd), kStart and kEnd multiples of 4, of a gather descriptor whose IN_IMAGE steps sub-blocks,
 * STRIDE_X counts floats between samples and GRID_IMAGE steps a sub-block's lanes within a plane (GRID_CHANNEL
 * bytes). Each sample's next four features are loaded as one vector and each half of the sub-block transposed into
 * four features' vectors of four samples (int16: quantised first, then narrowed into one i16x8 per feature, as
 * gather does); each pair of features then goes out as its planes a, b, a + b and a − b (gather's PAIRED layout).
 */
function featureLanesGather(lanes: LaneType): FunctionSpec {
  return taskFunction(lanes.integer ? 'int16FeatureLanesGather' : 'featureLanesGather', (locals) => {
    const G = GATHER_FIELDS;
    const [feature, at, plane] = [locals.i32(), locals.i32(), locals.i32()];
    const [sampleBytes, gridChannel] = [locals.i32(), locals.i32()];
    const block = sampleBlockTranspose(lanes, locals, sampleBytes);
    /** Feature j of the four, samples 4·half to 4·half + 3: rows[4·half + j]. */
    const rows = Array.from({ length: BLOCK_LANES }, locals.v128);
    const codes = lanes.integer ? Array.from({ length: 4 }, locals.v128) : [];
    const [SUB, K_START, K_END] = [A, B, C];
    const f = (index: number): Code => field(DESC, index);
    const transposed = block.transposed(at, (half, j, row) => [row, set(rows[4 * half + j]!)]);
    const narrow = codes.map((code, j) => [block.narrowed(rows[j]!, rows[4 + j]!), set(code)]);
    const [add, subtract] = lanes.integer ? [op.i16x8Add, op.i16x8Sub] : [op.f32x4Add, op.f32x4Sub];
    /** The next plane: `vector(half)` pushes each half's vector of it (int16: the one). */
    const storePlane = (vector: (half: number) => Code): Code => [
      (lanes.integer ? [0] : [0, 1]).map((half) => [get(plane), vector(half), op.v128Store(16 * half)]),
      increment(plane, get(gridChannel)),
    ];
    const of = (j: number) => (half: number): Code => get(lanes.integer ? codes[j]! : rows[4 * half + j]!);
    const pairPlanesOf = (a: number, b: number): Code => [
      storePlane(of(a)),
      storePlane(of(b)),
      storePlane((half) => [of(a)(half), of(b)(half), add]),
      storePlane((half) => [of(a)(half), of(b)(half), subtract]),
    ];
    return [
      block.setup,
      f(G.STRIDE_X), int(2), op.i32Shl, set(sampleBytes),
      f(G.GRID_CHANNEL), set(gridChannel),
      // Features 4q to 4q + 3 are planes 8q to 8q + 7.
      f(G.GRID), get(SUB), f(G.GRID_IMAGE), op.i32Mul, op.i32Add,
      get(K_START), int(1), op.i32Shl, get(gridChannel), op.i32Mul, op.i32Add, set(plane),
      get(K_START), set(feature),
      whileLoop(
        lessThan(feature, K_END),
        f(G.IN), get(SUB), f(G.IN_IMAGE), op.i32Mul, op.i32Add, get(feature), int(2), op.i32Shl, op.i32Add, set(at),
        transposed, narrow,
        pairPlanesOf(0, 1), pairPlanesOf(2, 3),
        increment(feature, int(4)),
      ),
    ];
  });
}

const horizontalSum = (vector: number): Code => [
  get(vector), op.f32x4ExtractLane(0), get(vector), op.f32x4ExtractLane(1), op.f32Add,
  get(vector), op.f32x4ExtractLane(2), op.f32Add, get(vector), op.f32x4ExtractLane(3), op.f32Add,
];

/**
 * Bytes of the ternary dense mask table: for each code byte (four 2-bit codes), a v128 keeping the lanes of nonzero
 * codes and a v128 of the sign bits of the −1 codes, so a weight applies as (x AND keep) XOR sign: a select and a
 * sign flip, never a multiply.
 */
export const DENSE_TABLE_BYTES = 256 * 32;

/**
 * Bytes of the int16 dense mask table: for each code byte (four 2-bit codes), four i16 lanes keeping the +1 codes'
 * lanes, then four keeping the −1 codes', so a weight applies as acc + (q AND plus) − (q AND minus).
 */
export const INT16_DENSE_TABLE_BYTES = 256 * 16;

export function int16DenseMaskTable(): Int32Array {
  const table = new Int16Array(INT16_DENSE_TABLE_BYTES / 2);
  for (let byte = 0; byte < 256; byte++) {
    for (let lane = 0; lane < 4; lane++) {
      const code = (byte >> (2 * lane)) & 3;
      table[byte * 8 + lane] = code === 1 ? -1 : 0;
      table[byte * 8 + 4 + lane] = code === 2 ? -1 : 0;
    }
  }
  return new Int32Array(table.buffer);
}

export function denseMaskTable(): Int32Array {
  const table = new Int32Array(DENSE_TABLE_BYTES / 4);
  for (let byte = 0; byte < 256; byte++) {
    for (let lane = 0; lane < 4; lane++) {
      const code = (byte >> (2 * lane)) & 3;
      table[byte * 8 + lane] = code === 1 || code === 2 ? -1 : 0;
      table[byte * 8 + 4 + lane] = code === 2 ? -0x80000000 : 0;
    }
  }
  return table;
}

/**
 * Samples a dense pass sums at once: each code word (ternary) or weight vector (float) is loaded and decoded once for
 * all of them, then applied to each sample's lanes. LeNet-5's fc1 (1024 → 512) at batch 8, bench:cpu-layers, load ~4:
 * int16 0.46 ms one sample per pass, 0.35 two, 0.44–0.90 four (16 accumulators no longer fit in registers);
 * float32 0.58–0.79 ms whatever the count: its and/xor/add per sample vector, not the decoding, is the bound there.
 */
export const DENSE_SAMPLES = 2;

/**
 * dense, ternary or float: task (oStart, oEnd) computes those outputs of every sample, each a four-lane dot product
 * over the weight row (ternary: code bytes through the mask table; float: multiply-adds, then the tail one by one).
 * int16: eight-lane sums of the sample's codes (IN holds them, rows padded to whole code words with zeros), each
 * code word's two code-byte pairs selecting the lanes to add and to subtract through INT16 mask table entries, widened
 * into i32 every CHUNK bytes of codes; the i32 total goes to the epilogue. Samples go DENSE_SAMPLES per pass over the
 * weight row, the rest one by one; every sample's sum takes the same steps either way, so the batch never changes it.
 */
function dense(kind: 'ternary' | 'float' | 'int16'): FunctionSpec {
  return taskFunction(`${kind}Dense`, (locals) => {
    const F = DENSE_FIELDS;
    const channel = locals.i32(), weights = locals.i32(), weightsEnd = locals.i32(), sample = locals.i32(), input = locals.i32(), word = locals.i32(), sum = locals.i32(), tableEntry = locals.i32();
    /** Per sample of a pass: where its lanes are read, its vector accumulators, its sum. */
    const at = Array.from({ length: DENSE_SAMPLES }, locals.i32);
    const perSample = kind === 'ternary' ? 4 : kind === 'int16' ? 2 : 1;
    const accumulators = Array.from({ length: DENSE_SAMPLES }, () => Array.from({ length: perSample }, locals.v128));
    const totals = Array.from({ length: DENSE_SAMPLES }, kind === 'float' ? locals.f32 : locals.v128);
    const [keep, sign] = [locals.v128(), locals.v128()];
    const [O_START, O_END] = [A, B];
    const coded = kind !== 'float';
    const rowBytes: Code = coded ? field(DESC, F.CODE_ROW) : [field(DESC, F.ROW_LENGTH), int(2), op.i32Shl];
    const rowStart: Code = coded ? field(DESC, F.CODES) : field(DESC, F.WEIGHTS);
    const chunkEnd = kind === 'int16' ? locals.i32() : 0;
    const samplesOf = (count: number) => [...Array(count).keys()];

    /** Ternary: byte i of the word selects the nonzero lanes (keep) and the −1 lanes' sign bits (sign). */
    const ternaryWord = (count: number): Code => [0, 1, 2, 3].map((i) => [
      field(DESC, F.TABLE),
      get(word), i === 0 ? [int(5), op.i32Shl] : [int(8 * i - 5), op.i32ShrU], int(0x1fe0), op.i32And, op.i32Add,
      tee(tableEntry), op.v128Load(0), set(keep), get(tableEntry), op.v128Load(16), set(sign),
      samplesOf(count).map((n) => [
        get(accumulators[n]![i]!),
        get(at[n]!), op.v128Load(16 * i), get(keep), op.v128And, get(sign), op.v128Xor,
        op.f32x4Add, set(accumulators[n]![i]!),
      ]),
    ]);
    /** int16: lanes 8j…8j + 7 of the word's codes, bytes 2j and 2j + 1: the +1 lanes (keep) and the −1 lanes (sign). */
    const int16Half = (j: number, count: number): Code => {
      const entry = (byte: number): Code => [
        field(DESC, F.TABLE),
        get(word), byte === 0 ? [int(4), op.i32Shl] : [int(8 * byte - 4), op.i32ShrU], int(0xff0), op.i32And,
        op.i32Add, op.v128Load(),
      ];
      /** Bytes from..from + 7 of each entry: the plus lanes (from = 0) or the minus lanes (from = 8) of both. */
      const halves = (from: number): number[] => [...Array(16).keys()].map((i) => (i < 8 ? from + i : 8 + from + i));
      return [
        entry(2 * j), set(keep), entry(2 * j + 1), set(sign),
        get(keep), get(sign), op.i8x16Shuffle(halves(8)), get(keep), get(sign), op.i8x16Shuffle(halves(0)), set(keep),
        set(sign),
        samplesOf(count).map((n) => [
          get(accumulators[n]![j]!),
          get(at[n]!), op.v128Load(16 * j), get(keep), op.v128And, op.i16x8Add,
          get(at[n]!), op.v128Load(16 * j), get(sign), op.v128And, op.i16x8Sub,
          set(accumulators[n]![j]!),
        ]),
      ];
    };
    const advance = (count: number, bytes: number): Code => samplesOf(count).map((n) => increment(at[n]!, int(bytes)));
    const zero = (vectors: readonly number[]): Code => vectors.map((vector) => [op.v128Zero, set(vector)]);

    /** Where the thread scratch holds the sums of `sample` on, one f32 or i32 each. */
    const sampleSums: Code = [get(SCRATCH), get(sample), int(2), op.i32Shl, op.i32Add];
    /** The sums of `count` samples from `sample` on, into the thread scratch (one f32 or i32 each). */
    const pass = (count: number): Code => {
      const used = samplesOf(count);
      const sums: Code = kind === 'int16'
        ? [
          zero(used.map((n) => totals[n]!)),
          whileLoop(
            lessThan(weights, weightsEnd),
            get(weights), field(DESC, F.CHUNK), op.i32Add, set(chunkEnd),
            get(chunkEnd), get(weightsEnd), lessThan(chunkEnd, weightsEnd), op.select, set(chunkEnd),
            whileLoop(
              lessThan(weights, chunkEnd),
              get(weights), op.i32Load(), set(word),
              int16Half(0, count), int16Half(1, count),
              increment(weights, int(4)), advance(count, 32),
            ),
            // Widened into i32 before any i16 lane could overflow.
            used.map((n) => [0, 1].map((j) => [
              get(totals[n]!), get(accumulators[n]![j]!), op.i32x4ExtendLowI16x8S, op.i32x4Add,
              get(accumulators[n]![j]!), op.i32x4ExtendHighI16x8S, op.i32x4Add, set(totals[n]!),
              op.v128Zero, set(accumulators[n]![j]!),
            ])),
          ),
          used.map((n) => [
            sampleSums,
            [0, 1, 2, 3].map((lane) => [get(totals[n]!), op.i32x4ExtractLane(lane), lane > 0 ? op.i32Add : []]),
            op.i32Store(4 * n),
          ]),
        ]
        : kind === 'ternary'
          ? [
            whileLoop(
              lessThan(weights, weightsEnd),
              get(weights), op.i32Load(), set(word),
              ternaryWord(count),
              increment(weights, int(4)), advance(count, 64),
            ),
            used.map((n) => {
              const [a0, a1, a2, a3] = accumulators[n]! as [number, number, number, number];
              return [
                get(a0), get(a1), op.f32x4Add, get(a2), op.f32x4Add, get(a3), op.f32x4Add, set(a0),
                sampleSums, horizontalSum(a0), op.f32Store(4 * n),
              ];
            }),
          ]
          : [
            // Whole vectors of the row, then the last K mod 4 weights one by one.
            get(weights), field(DESC, F.ROW_LENGTH), int(-4), op.i32And, int(2), op.i32Shl, op.i32Add, set(sum),
            whileLoop(
              lessThan(weights, sum),
              get(weights), op.v128Load(), set(keep),
              used.map((n) => [
                get(accumulators[n]![0]!), get(keep), get(at[n]!), op.v128Load(), op.f32x4Mul, op.f32x4Add,
                set(accumulators[n]![0]!),
              ]),
              increment(weights, int(16)), advance(count, 16),
            ),
            used.map((n) => [horizontalSum(accumulators[n]![0]!), set(totals[n]!)]),
            whileLoop(
              lessThan(weights, weightsEnd),
              used.map((n) => [
                get(totals[n]!), get(weights), op.f32Load(), get(at[n]!), op.f32Load(), op.f32Mul, op.f32Add,
                set(totals[n]!),
              ]),
              increment(weights, int(4)), advance(count, 4),
            ),
            used.map((n) => [sampleSums, get(totals[n]!), op.f32Store(4 * n)]),
          ];
      return [
        zero(used.flatMap((n) => accumulators[n]!)),
        rowStart, get(channel), rowBytes, op.i32Mul, op.i32Add, tee(weights), rowBytes, op.i32Add, set(weightsEnd),
        used.map((n) => [get(input), set(at[n]!), increment(input, field(DESC, F.IN_ROW))]),
        sums,
        increment(sample, int(count)),
      ];
    };
    return [
      get(O_START), set(channel),
      whileLoop(
        lessThan(channel, O_END),
        int(0), set(sample),
        field(DESC, F.IN), set(input),
        whileLoop([get(sample), int(DENSE_SAMPLES), op.i32Add, field(DESC, F.SAMPLES), op.i32LeS], pass(DENSE_SAMPLES)),
        whileLoop([get(sample), field(DESC, F.SAMPLES), op.i32LtS], pass(1)),
        field(DESC, F.RESIDUAL), set(sum),
        get(sum), op.if(get(sum), get(channel), int(2), op.i32Shl, op.i32Add, set(sum)),
        get(DESC), get(SCRATCH), field(DESC, F.OUT), get(channel), int(2), op.i32Shl, op.i32Add, get(sum), get(channel),
        field(DESC, F.SAMPLES), op.call(EPILOGUE_FUNCTION),
        increment(channel, int(1)),
      ),
    ];
  });
}

/**
 * maxpool/avgpool over each window's in-image cells (padded cells never take part), task (pStart, pEnd) over planes
 * (image·channels + channel). Max keeps the first of equal values and skips NaN, as the JavaScript kernel does.
 * At stride 1 and 2, four outputs whose windows lie inside the image's columns are reduced at once, lane by lane in
 * the scalar order (f32x4.pmax keeps the accumulator unless it is below the value; at stride 2 the even columns of
 * two loads are shuffled together), so they match the scalar path bit for bit.
 */
function windowPool(reduce: 'max' | 'mean'): FunctionSpec {
  return taskFunction(`${reduce === 'max' ? 'max' : 'avg'}Pool`, (locals) => {
    const P = POOL_FIELDS;
    const plane = locals.i32(), input = locals.i32(), out = locals.i32(), outY = locals.i32(), outX = locals.i32(), yFrom = locals.i32(), yTo = locals.i32(), xFrom = locals.i32(), xTo = locals.i32(), row = locals.i32(), at = locals.i32(), top = locals.i32();
    const rowEnd = locals.i32();
    const [vectorFrom, vectorTo, stride] = [locals.i32(), locals.i32(), locals.i32()];
    const [acc, value] = [locals.f32(), locals.f32()];
    const accs = locals.v128();
    const [twoByTwo, low, high] = [locals.i32(), locals.v128(), locals.v128()];
    const f = (index: number): Code => field(DESC, index);
    const clamp = (from: number, to: number, origin: Code, kernel: number, extent: number): Code => [
      origin, tee(top), int(0), get(top), int(0), op.i32GtS, op.select, set(from),
      get(top), f(kernel), op.i32Add, tee(to), f(extent), get(to), f(extent), op.i32LtS, op.select, set(to),
    ];
    const combine: Code = reduce === 'max'
      ? [get(value), get(acc), get(value), get(acc), op.f32Gt, op.select, set(acc)]
      : [get(acc), get(value), op.f32Add, set(acc)];
    /** Window rows [yFrom, yTo) from column `x` on, as addresses: no multiply per element. */
    const windowRows = (x: Code): Code => [
      get(input), get(yFrom), f(P.WIDTH), op.i32Mul, x, op.i32Add, int(2), op.i32Shl, op.i32Add, set(row),
      get(input), get(yTo), f(P.WIDTH), op.i32Mul, x, op.i32Add, int(2), op.i32Shl, op.i32Add, set(top),
    ];
    /** Four outputs from outX on: windows at columns outX·s − padLeft + j, j < kernelW, all in the image. */
    const columnsAt = (step: number): Code => [
      get(at), op.v128Load(),
      step === 2 ? [get(at), op.v128Load(16), op.i8x16Shuffle(EVEN_F32_LANES)] : [],
    ];
    const vectorWindows = (step: number): Code =>
      whileLoop(
        lessThan(row, top),
        get(row), set(at),
        get(row), f(P.KERNEL_W), int(2), op.i32Shl, op.i32Add, set(rowEnd),
        whileLoop(
          lessThan(at, rowEnd),
          get(accs), columnsAt(step), reduce === 'max' ? op.f32x4Pmax : op.f32x4Add, set(accs),
          increment(at, int(4)),
        ),
        increment(row, [f(P.WIDTH), int(2), op.i32Shl]),
      );
    /**
     * max over four 2×2 windows at stride 2 (two rows, KERNEL_W 2): each row's eight columns as two vectors, their
     * even then odd lanes, in vectorWindows' order (row by row, column by column), so the same floats, signed zeros
     * and NaNs included.
     */
    const twoByTwoWindows: Code = [0, 1].map(() => [
      get(row), op.v128Load(), set(low), get(row), op.v128Load(16), set(high),
      [EVEN_F32_LANES, ODD_F32_LANES].map((lanes) => [
        get(accs), get(low), get(high), op.i8x16Shuffle(lanes), op.f32x4Pmax, set(accs),
      ]),
      increment(row, [f(P.WIDTH), int(2), op.i32Shl]),
    ]);
    const oneOutput: Code = [
      clamp(xFrom, xTo, [get(outX), get(stride), op.i32Mul, f(P.PAD_LEFT), op.i32Sub], P.KERNEL_W, P.WIDTH),
      op.f32Const(reduce === 'max' ? -Infinity : 0), set(acc),
      windowRows(get(xFrom)),
      whileLoop(
        lessThan(row, top),
        get(row), set(at),
        get(row), get(xTo), get(xFrom), op.i32Sub, int(2), op.i32Shl, op.i32Add, set(rowEnd),
        whileLoop(lessThan(at, rowEnd), get(at), op.f32Load(), set(value), combine, increment(at, int(4))),
        increment(row, [f(P.WIDTH), int(2), op.i32Shl]),
      ),
      reduce === 'mean'
        ? [
          get(acc), get(yTo), get(yFrom), op.i32Sub, get(xTo), get(xFrom), op.i32Sub, op.i32Mul, op.f32ConvertI32S,
          op.f32Div, set(acc),
        ]
        : [],
      get(out), get(acc), op.f32Store(),
      increment(out, int(4)),
      increment(outX, int(1)),
    ];
    const minimum = (local: number, bound: Code): Code => [
      get(local), bound, get(local), bound, op.i32LtS, op.select, set(local),
    ];
    // Outputs [vectorFrom, vectorTo) have their windows inside the image's columns; none at strides past 2.
    const vectorRange: Code = [
      f(P.PAD_LEFT), get(stride), op.i32Add, int(1), op.i32Sub, get(stride), op.i32DivS, set(vectorFrom),
      f(P.WIDTH), f(P.KERNEL_W), op.i32Sub, f(P.PAD_LEFT), op.i32Add, tee(vectorTo),
      get(stride), op.i32DivS, int(1), op.i32Add,
      int(0), get(vectorTo), int(0), op.i32GeS, get(stride), int(3), op.i32LtS, op.i32And, op.select, set(vectorTo),
      minimum(vectorFrom, f(P.OUT_WIDTH)),
      minimum(vectorTo, f(P.OUT_WIDTH)),
    ];
    const fourOutputs: Code = [
      op.f32Const(reduce === 'max' ? -Infinity : 0), op.f32x4Splat, set(accs),
      windowRows([get(outX), get(stride), op.i32Mul, f(P.PAD_LEFT), op.i32Sub]),
      get(stride), int(1), op.i32Sub, op.i32Eqz, op.if(vectorWindows(1)),
      reduce === 'max'
        ? [
          get(stride), int(2), op.i32Sub, op.i32Eqz, get(twoByTwo), op.i32Eqz, op.i32And, op.if(vectorWindows(2)),
          get(twoByTwo), op.if(twoByTwoWindows),
        ]
        : [get(stride), int(2), op.i32Sub, op.i32Eqz, op.if(vectorWindows(2))],
      reduce === 'mean'
        ? [
          get(accs), get(yTo), get(yFrom), op.i32Sub, f(P.KERNEL_W), op.i32Mul, op.f32ConvertI32S, op.f32x4Splat,
          op.f32x4Div, set(accs),
        ]
        : [],
      get(out), get(accs), op.v128Store(),
      increment(out, int(16)),
      increment(outX, int(4)),
    ];
    return [
      f(P.STRIDE_X), set(stride),
      vectorRange,
      get(A), set(plane),
      whileLoop(
        lessThan(plane, B),
        f(P.IN), get(plane), f(P.HEIGHT), f(P.WIDTH), op.i32Mul, op.i32Mul, int(2), op.i32Shl, op.i32Add, set(input),
        f(P.OUT), get(plane), f(P.OUT_HEIGHT), f(P.OUT_WIDTH), op.i32Mul, op.i32Mul, int(2), op.i32Shl, op.i32Add, set(out),
        int(0), set(outY),
        whileLoop(
          [get(outY), f(P.OUT_HEIGHT), op.i32LtS],
          clamp(yFrom, yTo, [get(outY), f(P.STRIDE_Y), op.i32Mul, f(P.PAD_TOP), op.i32Sub], P.KERNEL_H, P.HEIGHT),
          reduce === 'max'
            ? [
              get(stride), int(2), op.i32Eq, f(P.KERNEL_W), int(2), op.i32Eq, op.i32And,
              get(yTo), get(yFrom), op.i32Sub, int(2), op.i32Eq, op.i32And, set(twoByTwo),
            ]
            : [],
          int(0), set(outX),
          // Four at a time from vectorFrom while they end by vectorTo; one at a time before and after.
          whileLoop(
            lessThan(outX, vectorFrom),
            oneOutput,
          ),
          whileLoop(
            [get(outX), int(4), op.i32Add, get(vectorTo), op.i32LeS],
            fourOutputs,
          ),
          whileLoop(
            [get(outX), f(P.OUT_WIDTH), op.i32LtS],
            oneOutput,
          ),
          increment(outY, int(1)),
        ),
        increment(plane, int(1)),
      ),
    ];
  });
}

/** Global average pooling, task (pStart, pEnd) over planes: four-lane sums, then the tail, divided by H·W. */
function globalAvgPool(): FunctionSpec {
  return taskFunction('globalAvgPool', (locals) => {
    const P = POOL_FIELDS;
    const plane = locals.i32(), at = locals.i32(), vectorEnd = locals.i32(), end = locals.i32(), size = locals.i32();
    const vector = locals.v128();
    const total = locals.f32();
    return [
      field(DESC, P.HEIGHT), field(DESC, P.WIDTH), op.i32Mul, set(size),
      get(A), set(plane),
      whileLoop(
        lessThan(plane, B),
        field(DESC, P.IN), get(plane), get(size), op.i32Mul, int(2), op.i32Shl, op.i32Add, tee(at),
        get(size), int(-4), op.i32And, int(2), op.i32Shl, op.i32Add, set(vectorEnd),
        get(at), get(size), int(2), op.i32Shl, op.i32Add, set(end),
        op.v128Zero, set(vector),
        whileLoop(lessThan(at, vectorEnd), get(vector), get(at), op.v128Load(), op.f32x4Add, set(vector), increment(at, int(16))),
        horizontalSum(vector), set(total),
        whileLoop(lessThan(at, end), get(total), get(at), op.f32Load(), op.f32Add, set(total), increment(at, int(4))),
        field(DESC, P.OUT), get(plane), int(2), op.i32Shl, op.i32Add,
        get(total), get(size), op.f32ConvertI32S, op.f32Div, op.f32Store(),
        increment(plane, int(1)),
      ),
    ];
  });
}

/**
 * The modules, each under the 4 KiB that browsers compile synchronously on a page's own thread, each starting with
 * the epilogue (EPILOGUE_FUNCTION) its kernels call; together they export every TASK function. Written on first use,
 * not when this file loads: the runtime loads the bytes written ahead of time (shipped-modules.ts) and never calls
 * this.
 */
let writtenFunctions: readonly (readonly FunctionSpec[])[] | undefined;
const moduleFunctions = (): readonly (readonly FunctionSpec[])[] => (writtenFunctions ??= [
  [epilogue(F32_LANES), conv('ternary', F32_LANES)],
  [epilogue(F32_LANES), conv('float', F32_LANES)],
  [epilogue(F32_LANES), dense('ternary'), dense('float')],
  [windowPool('max'), windowPool('mean'), globalAvgPool()],
  [epilogue(I16_LANES), conv('ternary', I16_LANES)],
  [epilogue(F32_LANES), conv('ternary', F32_LANES, 2)],
  [epilogue(I16_LANES), conv('ternary', I16_LANES, 2)],
  [epilogue(I16_LANES), dense('int16')],
  elementwiseFunctions(),
  [sampleLanesGather(F32_LANES), sampleLanesGather(I16_LANES)],
  [featureLanesGather(F32_LANES), featureLanesGather(I16_LANES)],
  [gather(F32_LANES), gather(I16_LANES)],
]);

/** The ternary kernels: their bodies hold no multiply (test/cpu-fast/wasm.test.ts decodes them to check). */
export const TERNARY_FUNCTIONS = [
  'ternaryConv', 'ternaryConvShortOffsets', 'ternaryDense', 'int16Conv', 'int16ConvShortOffsets', 'int16Dense',
] as const;

export function kernelModules(memory: MemoryImport): Uint8Array<ArrayBuffer>[] {
  return moduleFunctions().map((functions) => encodeModule(functions, memory));
}
