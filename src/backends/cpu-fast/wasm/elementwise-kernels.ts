import { A, B, DESC, field, increment, lessThan, type Locals, taskFunction, whileLoop } from './builder.js';
import { op, type Code, type FunctionSpec } from './encode.js';

/**
 * The elementwise kernels (relu, add, the per-channel affine map of normalize and batchnorm, softmax). Each walks
 * its floats four lanes at a time while four remain, then one at a time through lane 0 of a splat, with the same
 * arithmetic: relu, add and the affine map give the JavaScript kernels' results bit for bit (elementwise.ts).
 */
export const ELEMENTWISE_FIELDS = {
  IN: 0,
  /** add: the second operand. */
  OTHER: 1,
  OUT: 2,
  /** add: f32 bits of the lower bound, 0 for relu and −∞ for none (as the linear epilogue's). */
  LOWER: 3,
  /** Affine map: floats per plane, channels, and per channel an f64 factor and offset. */
  PLANE: 4,
  CHANNELS: 5,
  FACTOR: 6,
  OFFSET: 7,
  /** softmax: floats per row. */
  CLASSES: 8,
  SIZE: 9,
} as const;

const F = ELEMENTWISE_FIELDS;
const { localGet: get, localSet: set, i32Const: int } = op;

interface Span {
  /** Byte addresses of the first float read (and of the second operand's), and of the first written. */
  readonly source: number;
  readonly other?: number;
  readonly target?: number;
  /** Bytes to walk. */
  readonly bytes: number;
}

/**
 * value ← compute(value, other) over a span: 16 bytes at a time while 16 remain, then a float at a time splat in
 * every lane (lane 0 is stored). `vector` tells compute which of the two it is writing.
 */
function eachLane(
  locals: Locals,
  span: Span,
  compute: (value: number, other: number, vector: boolean) => Code,
): Code {
  const [at, vectorEnd, value, other] = [locals.i32(), locals.i32(), locals.v128(), locals.v128()];
  const store = (vector: boolean): Code => (vector ? op.v128Store() : [op.f32x4ExtractLane(0), op.f32Store()]);
  const load = (base: number, vector: boolean): Code =>
    [get(base), get(at), op.i32Add, vector ? op.v128Load() : [op.f32Load(), op.f32x4Splat]];
  const step = (vector: boolean): Code => [
    load(span.source, vector), set(value),
    span.other === undefined ? [] : [load(span.other, vector), set(other)],
    compute(value, other, vector),
    span.target === undefined ? [] : [get(span.target), get(at), op.i32Add, get(value), store(vector)],
    increment(at, int(vector ? 16 : 4)),
  ];
  return [
    int(0), set(at),
    get(span.bytes), int(-16), op.i32And, set(vectorEnd),
    whileLoop(lessThan(at, vectorEnd), step(true)),
    whileLoop(lessThan(at, span.bytes), step(false)),
  ];
}

/** Locals with the byte span of floats [A, B) of IN (OTHER) and OUT. */
function elementSpan(locals: Locals, withOther: boolean): { span: Span; setup: Code } {
  const [source, other, target, bytes] = [locals.i32(), locals.i32(), locals.i32(), locals.i32()];
  const address = (fieldIndex: number, into: number): Code => [
    field(DESC, fieldIndex), get(A), int(2), op.i32Shl, op.i32Add, set(into),
  ];
  return {
    span: { source, target, bytes, ...(withOther && { other }) },
    setup: [
      address(F.IN, source), address(F.OUT, target), withOther ? address(F.OTHER, other) : [],
      get(B), get(A), op.i32Sub, int(2), op.i32Shl, set(bytes),
    ],
  };
}

/** relu, task (start, end) over floats: pmax(0, v) = 0 < v ? v : 0, which is JavaScript's `v > 0 ? v : 0`. */
function relu(): FunctionSpec {
  return taskFunction('relu', (locals) => {
    const { span, setup } = elementSpan(locals, false);
    return [setup, eachLane(locals, span, (value) => [op.v128Zero, get(value), op.f32x4Pmax, set(value)])];
  });
}

/** add, task (start, end) over floats: pmax(a + b, LOWER), so relu or nothing after the sum. */
function add(): FunctionSpec {
  return taskFunction('add', (locals) => {
    const { span, setup } = elementSpan(locals, true);
    const lower = locals.v128();
    return [
      setup, get(DESC), op.f32Load(4 * F.LOWER), op.f32x4Splat, set(lower),
      eachLane(locals, span, (value, other) => [
        get(value), get(other), op.f32x4Add, get(lower), op.f32x4Pmax, set(value),
      ]),
    ];
  });
}

/**
 * x·factor[c] + offset[c], task (pStart, pEnd) over planes (image·channels + channel), in f64 as JavaScript computes
 * it, then rounded to f32 once: lanes 0–1 and 2–3 are promoted, mapped and demoted in turn.
 */
function channelAffine(): FunctionSpec {
  return taskFunction('channelAffine', (locals) => {
    const [plane, source, target, bytes] = [locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const channel = locals.i32();
    const [factor, offset, high] = [locals.v128(), locals.v128(), locals.v128()];
    const half = (lanes: Code, into: number): Code => [
      lanes, op.f64x2PromoteLowF32x4, get(factor), op.f64x2Mul, get(offset), op.f64x2Add,
      op.f32x4DemoteF64x2Zero, set(into),
    ];
    const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
    return [
      field(DESC, F.PLANE), int(2), op.i32Shl, set(bytes),
      get(A), set(plane),
      whileLoop(
        lessThan(plane, B),
        get(plane), field(DESC, F.CHANNELS), op.i32RemU, int(3), op.i32Shl, set(channel),
        field(DESC, F.FACTOR), get(channel), op.i32Add, op.v128Load64Splat(), set(factor),
        field(DESC, F.OFFSET), get(channel), op.i32Add, op.v128Load64Splat(), set(offset),
        field(DESC, F.IN), get(plane), get(bytes), op.i32Mul, op.i32Add, set(source),
        field(DESC, F.OUT), get(plane), get(bytes), op.i32Mul, op.i32Add, set(target),
        eachLane(locals, { source, target, bytes }, (value) => [
          get(value), get(value), op.i8x16Shuffle([...range(8, 8), ...range(8, 8)]), set(high),
          half(get(value), value), half(get(high), high),
          get(value), get(high), op.i8x16Shuffle([...range(0, 8), ...range(16, 8)]), set(value),
        ]),
        increment(plane, int(1)),
      ),
    ];
  });
}

/** e^x for x ≤ 0 (and NaN), in f32 lanes: 2^n · p(r) with x = n·ln 2 + r, |r| ≤ ln 2 / 2, p Taylor to r^7. */
function exp(locals: Locals, value: number): Code {
  const [n, r, p] = [locals.v128(), locals.v128(), locals.v128()];
  const splat = (constant: number): Code => [op.f32Const(constant), op.f32x4Splat];
  // Below −87.3, e^x is under f32's smallest normal: clamped there, the result is ~1e-38 instead of 0.
  const horner = [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1];
  return [
    get(value), splat(-87.33654), op.f32x4Max, set(value),
    get(value), splat(Math.LOG2E), op.f32x4Mul, op.f32x4Nearest, set(n),
    // ln 2 in two parts (the first exact in f32 with room for n's bits), so r keeps its low bits.
    get(value), get(n), splat(0.693359375), op.f32x4Mul, op.f32x4Sub,
    get(n), splat(-2.1219444e-4), op.f32x4Mul, op.f32x4Sub, set(r),
    splat(1 / 40320), set(p),
    horner.map((coefficient) => [get(p), get(r), op.f32x4Mul, splat(coefficient), op.f32x4Add, set(p)]),
    get(n), op.i32x4TruncSatF32x4S, int(127), op.i32x4Splat, op.i32x4Add, int(23), op.i32x4Shl,
    get(p), op.f32x4Mul, set(value),
  ];
}

/** softmax along K of [N, K], task (rowStart, rowEnd): m = max (NaN if any), e = exp(x − m), e / Σe. */
function softmax(): FunctionSpec {
  return taskFunction('softmax', (locals) => {
    const [row, source, target, bytes] = [locals.i32(), locals.i32(), locals.i32(), locals.i32()];
    const [vectorMax, vectorSum, splatMax, splatTotal] = [locals.v128(), locals.v128(), locals.v128(), locals.v128()];
    const total = locals.f32();
    const lane = (vector: number, i: number): Code => [get(vector), op.f32x4ExtractLane(i)];
    return [
      field(DESC, F.CLASSES), int(2), op.i32Shl, set(bytes),
      get(A), set(row),
      whileLoop(
        lessThan(row, B),
        field(DESC, F.IN), get(row), get(bytes), op.i32Mul, op.i32Add, set(source),
        field(DESC, F.OUT), get(row), get(bytes), op.i32Mul, op.i32Add, set(target),
        op.f32Const(-Infinity), op.f32x4Splat, set(vectorMax),
        eachLane(locals, { source, bytes }, (value) => [get(vectorMax), get(value), op.f32x4Max, set(vectorMax)]),
        lane(vectorMax, 0), lane(vectorMax, 1), op.f32Max, lane(vectorMax, 2), lane(vectorMax, 3), op.f32Max, op.f32Max,
        op.f32x4Splat, set(splatMax),
        op.v128Zero, set(vectorSum), op.f32Const(0), set(total),
        eachLane(locals, { source, target, bytes }, (value, _other, vector) => [
          get(value), get(splatMax), op.f32x4Sub, set(value),
          exp(locals, value),
          vector
            ? [get(vectorSum), get(value), op.f32x4Add, set(vectorSum)]
            : [get(total), get(value), op.f32x4ExtractLane(0), op.f32Add, set(total)],
        ]),
        get(total), lane(vectorSum, 0), op.f32Add, lane(vectorSum, 1), op.f32Add, lane(vectorSum, 2), op.f32Add,
        lane(vectorSum, 3), op.f32Add, op.f32x4Splat, set(splatTotal),
        eachLane(locals, { source: target, target, bytes }, (value) => [
          get(value), get(splatTotal), op.f32x4Div, set(value),
        ]),
        increment(row, int(1)),
      ),
    ];
  });
}

/** The elementwise kernels, one module (TASK in kernels.ts names them). */
export function elementwiseFunctions(): FunctionSpec[] {
  return [relu(), add(), channelAffine(), softmax()];
}
