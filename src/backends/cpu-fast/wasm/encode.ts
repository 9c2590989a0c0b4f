/**
 * Just enough of the WebAssembly binary format to write the CPU kernels from TypeScript, so the project needs no
 * WebAssembly toolchain. The kernels are written ahead of time and ship as bytes (shipped-modules.ts, which a test
 * keeps equal to what this encoder writes): writing them at run time took a cold engine 50-90 ms of every cold start.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
export const F32 = 0x7d;
export type ValueType = typeof I32 | typeof F32 | typeof V128;

/** One instruction or a run of them, as bytes; nested arrays are flattened when the body is encoded. */
export type Code = number | readonly Code[];

export function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

export function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** Appends the bytes of `code` to `into`, depth first, with an explicit stack. */
function flatten(code: Code, into: number[]): number[] {
  const stack: Code[] = [code];
  while (stack.length > 0) {
    const part = stack.pop()!;
    if (typeof part === 'number') into.push(part);
    else for (let i = part.length - 1; i >= 0; i--) stack.push(part[i]!);
  }
  return into;
}

/** Memory access immediate: alignment as log2 bytes, then a constant byte offset added to the address. */
const memarg = (alignLog2: number, offset: number): number[] => [alignLog2, ...unsignedLeb(offset)];
const simd = (opcode: number): number[] => [0xfd, ...unsignedLeb(opcode)];

const bulk = (opcode: number): number[] => [0xfc, ...unsignedLeb(opcode)];

/** The instructions the kernels use (names as in the WebAssembly text format). */
export const op = {
  localGet: (index: number): Code => [0x20, ...unsignedLeb(index)],
  localSet: (index: number): Code => [0x21, ...unsignedLeb(index)],
  localTee: (index: number): Code => [0x22, ...unsignedLeb(index)],
  call: (index: number): Code => [0x10, ...unsignedLeb(index)],
  select: 0x1b,
  i32Const: (value: number): Code => [0x41, ...signedLeb(value)],
  f32Const: (value: number): Code => [0x43, ...new Uint8Array(Float32Array.of(value).buffer)],
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  /** Trailing zero bits (32 for 0). */
  i32Ctz: 0x68,
  /** Set bits. */
  i32Popcnt: 0x69,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  f32Lt: 0x5d,
  f32Gt: 0x5e,
  f32Add: 0x92,
  f32Sub: 0x93,
  f32Mul: 0x94,
  f32Div: 0x95,
  f32Max: 0x97,
  f32ConvertI32S: 0xb2,
  f32Nearest: 0x90,
  /** Rounds toward zero; NaN → 0 and out-of-range values → the nearest i32 (no trap). */
  i32TruncSatF32S: bulk(0) as Code,
  i32Load: (offset = 0): Code => [0x28, ...memarg(2, offset)],
  i32Load16S: (offset = 0): Code => [0x2e, ...memarg(1, offset)],
  i32Load16U: (offset = 0): Code => [0x2f, ...memarg(1, offset)],
  f32Load: (offset = 0): Code => [0x2a, ...memarg(2, offset)],
  f32Store: (offset = 0): Code => [0x38, ...memarg(2, offset)],
  i32Store: (offset = 0): Code => [0x36, ...memarg(2, offset)],
  i32Store16: (offset = 0): Code => [0x3b, ...memarg(1, offset)],
  memoryCopy: [...bulk(10), 0, 0] as Code,
  memoryFill: [...bulk(11), 0] as Code,
  v128Load: (offset = 0): Code => [...simd(0x00), ...memarg(4, offset)],
  v128Store: (offset = 0): Code => [...simd(0x0b), ...memarg(4, offset)],
  v128Zero: [...simd(0x0c), ...new Array<number>(16).fill(0)] as Code,
  v128And: simd(0x4e) as Code,
  v128Xor: simd(0x51) as Code,
  f32x4Add: simd(0xe4) as Code,
  f32x4Sub: simd(0xe5) as Code,
  f32x4Mul: simd(0xe6) as Code,
  /** pmax(a, b) = a < b ? b : a, so pmax(v, 0) is JavaScript's `v < 0 ? 0 : v`, NaN and −0 included. */
  f32x4Pmax: simd(0xeb) as Code,
  f32x4Splat: simd(0x13) as Code,
  f32x4ExtractLane: (lane: number): Code => [...simd(0x1f), lane],
  f32x4Nearest: simd(0x6a) as Code,
  f32x4ConvertI32x4S: simd(0xfa) as Code,
  i32x4TruncSatF32x4S: simd(0xf8) as Code,
  /** Lanes 0–15 from the first operand, 16–31 from the second. */
  i8x16Shuffle: (lanes: readonly number[]): Code => [...simd(0x0d), ...lanes],
  i16x8Splat: simd(0x10) as Code,
  i16x8Add: simd(0x8e) as Code,
  i16x8Sub: simd(0x91) as Code,
  i16x8MinS: simd(0x96) as Code,
  i16x8MaxS: simd(0x98) as Code,
  /** Saturates each i32 lane to i16. */
  i16x8NarrowI32x4S: simd(0x85) as Code,
  i32x4ExtendLowI16x8S: simd(0xa7) as Code,
  i32x4ExtendHighI16x8S: simd(0xa8) as Code,
  i32x4Add: simd(0xae) as Code,
  i32x4ExtractLane: (lane: number): Code => [...simd(0x1b), lane],
  i32x4Splat: simd(0x11) as Code,
  /** Shifts every lane left by the i32 on top of the stack. */
  i32x4Shl: simd(0xab) as Code,
  /** Max that propagates NaN, as Math.max does (pmax does not). */
  f32x4Max: simd(0xe9) as Code,
  f32x4Div: simd(0xe7) as Code,
  /** Eight bytes from memory, in both f64 lanes. */
  v128Load64Splat: (offset = 0): Code => [...simd(0x0a), ...memarg(3, offset)],
  /** f32 lanes 0 and 1 to f64, exactly; and back, rounded as a Float32Array store rounds, into lanes 0 and 1. */
  f64x2PromoteLowF32x4: simd(0x5f) as Code,
  f32x4DemoteF64x2Zero: simd(0x5e) as Code,
  f64x2Add: simd(0xf0) as Code,
  f64x2Mul: simd(0xf2) as Code,
  /** `block … end`: `br 0` inside jumps past its end. */
  block: (...body: Code[]): Code => [0x02, 0x40, body, 0x0b],
  /** `loop … end`: `br 0` inside jumps back to its start. */
  loop: (...body: Code[]): Code => [0x03, 0x40, body, 0x0b],
  /** `if … end` on the i32 on the stack. */
  if: (...body: Code[]): Code => [0x04, 0x40, body, 0x0b],
  br: (depth: number): Code => [0x0c, ...unsignedLeb(depth)],
  brIf: (depth: number): Code => [0x0d, ...unsignedLeb(depth)],
};

export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly locals: readonly ValueType[];
  readonly body: Code;
}

const utf8 = (text: string): number[] => {
  const encoded = new TextEncoder().encode(text);
  return [...unsignedLeb(encoded.length), ...encoded];
};
/** A count, then the items' bytes. */
const vector = (items: readonly (readonly number[])[]): number[] => {
  const bytes = unsignedLeb(items.length);
  for (const item of items) for (const byte of item) bytes.push(byte);
  return bytes;
};
/** Appends a section: its id, its byte length, its content. */
const section = (into: number[], id: number, content: readonly number[]): void => {
  into.push(id, ...unsignedLeb(content.length));
  for (const byte of content) into.push(byte);
};

/**
 * How the module imports `env.memory`: an ordinary memory, or a shared one (threads) with its maximum in 64 KiB pages,
 * which a shared memory must declare.
 */
export interface MemoryImport {
  readonly shared: boolean;
  readonly maximumPages: number;
}

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const IMPORT_SECTION = 2;

/** The import section's content: `env.memory`, of at least one page. */
const memoryImport = (memory: MemoryImport): number[] => {
  const limits = memory.shared ? [0x03, 0x01, ...unsignedLeb(memory.maximumPages)] : [0x00, 0x01];
  return vector([[...utf8('env'), ...utf8('memory'), 0x02, ...limits]]);
};

/**
 * A module that encodeModule wrote, importing `memory` instead of the memory it was written for: the same bytes but
 * for the import section (a shared memory's kernels are an ordinary memory's with other limits).
 */
export function withMemoryImport(module: Uint8Array, memory: MemoryImport): Uint8Array<ArrayBuffer> {
  for (let at = MAGIC_AND_VERSION.length; at < module.length; ) {
    const sectionStart = at;
    const id = module[at++]!;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = module[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
    }
    const sectionEnd = at + size;
    if (id === IMPORT_SECTION) {
      const imports: number[] = [];
      section(imports, IMPORT_SECTION, memoryImport(memory));
      const out = new Uint8Array(module.length - (sectionEnd - sectionStart) + imports.length);
      out.set(module.subarray(0, sectionStart));
      out.set(imports, sectionStart);
      out.set(module.subarray(sectionEnd), sectionStart + imports.length);
      return out;
    }
    at = sectionEnd;
  }
  throw new Error('the module imports no memory');
}

/** A module importing its memory as `env.memory` and exporting each function (no results) under its name. */
export function encodeModule(functions: readonly FunctionSpec[], memory: MemoryImport): Uint8Array<ArrayBuffer> {
  const types = functions.map((fn) => [0x60, ...vector(fn.params.map((type) => [type])), 0]);
  const bodies = functions.map((fn) => {
    const code = flatten(fn.body, vector(fn.locals.map((type) => [1, type])));
    code.push(0x0b);
    return [...unsignedLeb(code.length), ...code];
  });
  const bytes = [...MAGIC_AND_VERSION];
  section(bytes, 1, vector(types));
  section(bytes, IMPORT_SECTION, memoryImport(memory));
  section(bytes, 3, vector(functions.map((_, i) => unsignedLeb(i))));
  section(bytes, 7, vector(functions.map((fn, i) => [...utf8(fn.name), 0x00, ...unsignedLeb(i)])));
  section(bytes, 10, vector(bodies));
  return new Uint8Array(bytes);
}
