/**
 * The WebAssembly SIMD path of the fast CPU backend: its hand-written encoder, the proof that the ternary kernels never
 * multiply, the arena's allocator, and memory growth under running graphs. The kernels' sums are held against the
 * float64 reference by every op case (test/cpu-fast/ops.test.ts) and whole nets (nets.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/executor.js';
import { shippedModules, WasmArena } from '../../src/backends/cpu-fast/wasm/arena.js';
import { signedLeb, unsignedLeb } from '../../src/backends/cpu-fast/wasm/encode.js';
import { TERNARY_FUNCTIONS } from '../../src/backends/cpu-fast/wasm/kernels.js';
import { pairedCodesDescriptor } from '../../src/backends/cpu-fast/wasm/offset-lists.js';
import { readTwnFile } from '../../src/format/reader.js';
import { packTernary, ternaryRowWords } from '../../src/format/ternary-pack.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { tinyResNetFile } from '../graph/fixtures.js';

function arena(): WasmArena {
  const created = WasmArena.create();
  if (created === undefined) throw new Error('Node has WebAssembly SIMD; WasmArena.create() must succeed here');
  return created;
}

/** A module's function bodies by export name, decoded from its export and code sections (spec §5.5). */
function functionBodies(module: Uint8Array): Map<string, Uint8Array> {
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = module[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const names = new Map<number, string>();
  const bodies: Uint8Array[] = [];
  while (at < module.length) {
    const id = module[at++]!;
    const size = leb();
    const end = at + size;
    if (id === 7) {
      for (let count = leb(); count > 0; count--) {
        const length = leb();
        const name = new TextDecoder().decode(module.subarray(at, at + length));
        at += length + 1; // the name, then the export kind
        names.set(leb(), name);
      }
    } else if (id === 10) {
      for (let count = leb(); count > 0; count--) {
        const length = leb();
        bodies.push(module.subarray(at, at + length));
        at += length;
      }
    }
    at = end;
  }
  return new Map([...names].map(([index, name]) => [name, bodies[index]!]));
}

const hex = (bytes: Uint8Array): string => [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');

describe('encoder', () => {
  it('writes LEB128 as the WebAssembly spec does (hand-worked values)', () => {
    expect(unsignedLeb(0)).toEqual([0x00]);
    expect(unsignedLeb(127)).toEqual([0x7f]);
    expect(unsignedLeb(128)).toEqual([0x80, 0x01]);
    expect(unsignedLeb(624_485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(signedLeb(-1)).toEqual([0x7f]);
    expect(signedLeb(63)).toEqual([0x3f]);
    expect(signedLeb(64)).toEqual([0xc0, 0x00]);
    expect(signedLeb(-123_456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it.each([false, true])('the modules validate (shared memory: %s) and are small enough for synchronous compilation', (shared) => {
    const { kernels, offsetLists } = shippedModules(shared);
    for (const module of [...kernels, offsetLists]) {
      expect(WebAssembly.validate(module)).toBe(true);
      expect(module.byteLength).toBeLessThan(4096);
    }
  });

  it('the ternary kernels never multiply: they add, subtract, select and flip sign bits', () => {
    // The modules as they ship (equal to the encoder's: shipped-modules.test.ts).
    const bodies = new Map(shippedModules(false).kernels.flatMap((module) => [...functionBodies(module)]));
    // The decoder finds the float kernels' multiplies, so finding none in a ternary kernel means something.
    expect(hex(bodies.get('floatConv')!)).toContain('fd e6 01');
    expect(hex(bodies.get('floatDense')!)).toContain('94');
    // Every SIMD multiply (float, integer, extending, dot product, Q15), by its opcode after the 0xfd prefix.
    const simdMultiplies = {
      'f32x4.mul': 'fd e6 01', 'f64x2.mul': 'fd f2 01', 'i16x8.mul': 'fd 95 01', 'i32x4.mul': 'fd b5 01',
      'i64x2.mul': 'fd d5 01', 'i32x4.dot_i16x8_s': 'fd ba 01', 'i16x8.q15mulr_sat_s': 'fd 82 01',
      'i16x8.extmul_low_i8x16_s': 'fd 9c 01', 'i16x8.extmul_high_i8x16_s': 'fd 9d 01',
      'i32x4.extmul_low_i16x8_s': 'fd bc 01', 'i32x4.extmul_high_i16x8_s': 'fd bd 01',
      'i32x4.extmul_low_i16x8_u': 'fd be 01', 'i32x4.extmul_high_i16x8_u': 'fd bf 01',
    };
    for (const name of TERNARY_FUNCTIONS) {
      const body = hex(bodies.get(name)!);
      for (const [multiply, opcode] of Object.entries(simdMultiplies)) {
        expect(body, `${name}: ${multiply}`).not.toContain(opcode);
      }
      // f32.mul / f64.mul: no byte 0x94 / 0xa2 at all (stricter than needed: an immediate could hold one).
      expect(body.split(' ').filter((byte) => byte === '94' || byte === 'a2').length, name).toBe(0);
    }
    expect(hex(bodies.get('int16Conv')!)).toContain('fd 8e 01'); // i16x8.add
    expect(hex(bodies.get('int16Conv')!)).toContain('fd 91 01'); // i16x8.sub
    expect(hex(bodies.get('int16Conv')!)).toContain('fd a7 01'); // i32x4.extend_low_i16x8_s (widening)
    expect(hex(bodies.get('int16Dense')!)).toContain('fd 4e'); // v128.and (select the +1 and −1 codes' lanes)
    expect(hex(bodies.get('ternaryConv')!)).toContain('fd e4 01'); // f32x4.add
    expect(hex(bodies.get('ternaryConv')!)).toContain('fd e5 01'); // f32x4.sub
    expect(hex(bodies.get('ternaryDense')!)).toContain('fd 4e'); // v128.and (select the nonzero codes' lanes)
    expect(hex(bodies.get('ternaryDense')!)).toContain('fd 51'); // v128.xor (flip the −1 codes' sign bits)
  });
});

describe('arena', () => {
  it('keeps stored values when the memory grows; frees, coalesces and reuses regions', () => {
    const space = arena();
    const first = Int32Array.from({ length: 1000 }, (_, i) => i * 3);
    const address = space.store(first)!;
    const large = space.allocate(4_000_000)!; // grows the memory: every earlier view is detached
    expect(large).toBeGreaterThanOrEqual(address + first.byteLength);
    expect([...new Int32Array(space.memory.buffer, address, 1000)]).toEqual([...first]);
    const a = space.allocate(64)!;
    const b = space.allocate(64)!;
    space.release(large, 4_000_000);
    space.release(a, 64);
    expect(space.allocate(4_000_000 + 64)).toBe(large); // large and a coalesced; b still in use above them
    space.release(large, 4_000_000 + 64);
    space.release(b, 64);
    const again = space.allocate(4_000_000 + 128)!;
    expect(again).toBe(large); // all three coalesced
    expect([...new Int32Array(space.memory.buffer, again, 4)]).toEqual([0, 0, 0, 0]);
  });

  it('hands out zeroed memory where a region released at the top was', () => {
    const space = arena();
    const below = space.allocate(64)!;
    const top = space.store(new Int32Array(1000).fill(-1))!;
    space.release(top, 4000);
    expect(space.allocate(8000)).toBe(top); // the top moved back down: the same place, larger
    expect(new Int32Array(space.memory.buffer, top, 2000).every((value) => value === 0)).toBe(true);
    expect(below).toBeLessThan(top);
  });

  const rowLengths = [1, 16, 17, 33, 1152];
  const cases = rowLengths.flatMap((rowLength) => ([4, 2] as const).map((offsetBytes) => [rowLength, offsetBytes] as const));
  it.each(cases)('counts, then writes, each row\'s +1 then −1 indices k, each mapped (K = %i, %i-byte entries)', (
    rowLength,
    offsetBytes,
  ) => {
    const space = arena();
    const rows = 6;
    const random = seededRandom(rowLength);
    const codes = Array.from({ length: rows * rowLength }, () => Math.floor(random.uniform(0, 3)) - 1);
    codes.fill(0, 2 * rowLength, 3 * rowLength); // an all-zero row
    codes.fill(-1, 4 * rowLength, 5 * rowLength); // a row of −1 only
    const words = packTernary(codes, [rows, rowLength]);
    const map = Int32Array.from({ length: rowLength }, (_, k) => 12 * k + 7);
    // Read off the codes themselves: per row the k of each +1, then of each −1, ascending.
    const indices: number[] = [];
    for (let o = 0; o < rows; o++) {
      for (const sign of [1, -1]) {
        for (let k = 0; k < rowLength; k++) if (codes[o * rowLength + k] === sign) indices.push(k);
      }
    }
    // Where each row's +1 list and −1 list start, and the end, read off the codes too.
    const expectedStarts = [0];
    for (let o = 0; o < rows; o++) {
      for (const sign of [1, -1]) {
        const count = codes.slice(o * rowLength, (o + 1) * rowLength).filter((code) => code === sign).length;
        expectedStarts.push(expectedStarts.at(-1)! + count);
      }
    }
    const wordsAt = space.store(words)!;
    const starts = space.signedStarts(wordsAt, ternaryRowWords(rowLength), rows)!;
    expect([...starts]).toEqual(expectedStarts);
    const lists = space.allocate(offsetBytes * indices.length + 8)!;
    const entries = (at: number, length: number) =>
      offsetBytes === 2 ? new Uint16Array(space.memory.buffer, at, length) : space.i32(at, length);
    entries(lists + offsetBytes * indices.length, 2).fill(5);
    expect(space.signedOffsets(wordsAt, ternaryRowWords(rowLength), starts, map, lists, offsetBytes)).toBe(true);
    expect([...entries(lists, indices.length)]).toEqual(indices.map((k) => 12 * k + 7));
    expect([...entries(lists + offsetBytes * indices.length, 2)]).toEqual([5, 5]); // nothing written past the end
  });
});

describe('pairedCodes', () => {
  /** Terms of a row: 4 planes per channel pair, and one for an odd last channel (paired with zeros). */
  const termLengthOf = (channels: number, taps: number): number =>
    4 * Math.floor(channels / 2) * taps + (channels % 2) * taps;

  /** Hand-worked rule: a alone → plane 0, b alone → plane 1, a = b → plane 2 (a + b), a = −b → plane 3 (a − b). */
  function expectedTerms(codes: number[], rows: number, channels: number, taps: number): number[] {
    const termLength = termLengthOf(channels, taps);
    const expected = new Array<number>(rows * termLength).fill(0);
    for (let o = 0; o < rows; o++) {
      for (let channel = 0; channel < channels; channel += 2) {
        for (let tap = 0; tap < taps; tap++) {
          const a = codes[(o * channels + channel) * taps + tap]!;
          const b = channel + 1 < channels ? codes[(o * channels + channel + 1) * taps + tap]! : 0;
          const plane = a === 0 ? 1 : b === 0 ? 0 : a === b ? 2 : 3;
          if (a !== 0 || b !== 0) expected[o * termLength + (2 * channel + plane) * taps + tap] = a === 0 ? b : a;
        }
      }
    }
    return expected;
  }

  function randomCodes(seed: number, length: number): number[] {
    const random = seededRandom(seed);
    return Array.from({ length }, () => Math.floor(random.uniform(0, 3)) - 1);
  }

  /** Seeded weights of `rows` rows, packed, and their terms as the hand-worked rule packs them. */
  function pairedCase(rows: number, channels: number, taps: number) {
    const codes = randomCodes(channels * taps, rows * channels * taps);
    const termLength = termLengthOf(channels, taps);
    return {
      words: packTernary(codes, [rows, channels * taps]),
      rowWords: ternaryRowWords(channels * taps),
      termRowWords: ternaryRowWords(termLength),
      expected: [...packTernary(expectedTerms(codes, rows, channels, taps), [rows, termLength])],
    };
  }

  const shapes = [[4, 9], [3, 9], [5, 1], [1, 49]];
  const rows = 5;
  it.each(shapes)('%i channels × %i taps: one term per channel pair and tap', (channels, taps) => {
    const space = arena();
    const { words, rowWords, termRowWords, expected } = pairedCase(rows, channels, taps);
    const out = space.allocate(4 * rows * termRowWords)!;
    space.pairedCodes(space.store(words)!, rowWords, rows, channels, taps, out, termRowWords, rows * termRowWords);
    expect([...new Uint32Array(space.memory.buffer, out, rows * termRowWords)]).toEqual(expected);
  });

  // Threads write rows side by side (arena.ts runShared): a task that so much as loads and stores back a word of
  // another row's can drop that row's bits written meanwhile. Here the rows end where the memory does, so that any
  // access past the last row traps.
  it.each([...shapes, [1, 25]])('%i channels × %i taps: no word past its rows is touched', (channels, taps) => {
    const { offsetLists } = shippedModules(false);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { pairedCodes } = new WebAssembly.Instance(new WebAssembly.Module(offsetLists), { env: { memory } })
      .exports as Record<string, (...args: number[]) => void>;
    const { words, rowWords, termRowWords, expected } = pairedCase(rows, channels, taps);
    const [descriptor, wordsAt, out] = [16, 64, memory.buffer.byteLength - 4 * rows * termRowWords];
    new Uint32Array(memory.buffer, wordsAt, words.length).set(words);
    const fields = pairedCodesDescriptor(wordsAt, rowWords, channels, taps, out, termRowWords, rows * termRowWords);
    new Int32Array(memory.buffer, descriptor, fields.length).set(fields);
    pairedCodes!(0, descriptor, 0, rows);
    expect([...new Uint32Array(memory.buffer, out, rows * termRowWords)]).toEqual(expected);
  });

  it('cut into chunks: chunk c of every row, row by row, then chunk c + 1', () => {
    const space = arena();
    // 576 terms a row: 36 words, 4 chunks of 9 words (144 terms: 4 pairs × 4 planes × 9 taps).
    const [rows, channels, taps, chunkWords] = [3, 32, 9, 9];
    const codes = randomCodes(11, rows * channels * taps);
    const termLength = termLengthOf(channels, taps);
    const byRow = packTernary(expectedTerms(codes, rows, channels, taps), [rows, termLength]);
    const rowWords = termLength / 16;
    const expected = new Uint32Array(rows * rowWords);
    for (let o = 0; o < rows; o++) {
      for (let w = 0; w < rowWords; w++) {
        const chunk = Math.floor(w / chunkWords);
        expected[chunk * rows * chunkWords + o * chunkWords + (w % chunkWords)] = byRow[o * rowWords + w]!;
      }
    }
    const out = space.allocate(4 * rows * rowWords)!;
    const words = space.store(packTernary(codes, [rows, channels * taps]))!;
    const inRowWords = ternaryRowWords(channels * taps);
    space.pairedCodes(words, inRowWords, rows, channels, taps, out, chunkWords, rows * chunkWords);
    expect([...new Uint32Array(space.memory.buffer, out, rows * rowWords)]).toEqual([...expected]);
  });
});

describe('FastCpuExecutor kernels', () => {
  it('a graph compiled later grows the shared memory; earlier graphs still run on fresh views, unchanged', () => {
    const fast = new FastCpuExecutor();
    const small = graphFromFile(tinyResNetFile({ seed: 5, foldBatchNorm: true }));
    const random = seededRandom(6);
    const input = Float32Array.from({ length: 3 * 32 * 32 }, () => random.uniform(0, 1));
    const before = fast.run(small, input, 1).get('logits')!.data;
    const large = graphFromFile(readTwnFile(buildVgg7({ seed: 7, widthMultiplier: 0.5 })));
    fast.run(large, input, 1);
    expect(fast.run(small, input, 1).get('logits')!.data).toEqual(before);
  });


  it("runs WebAssembly SIMD in Node by default, JavaScript when asked, and the two agree", () => {
    const graph = graphFromFile(tinyResNetFile({ seed: 9, foldBatchNorm: true }));
    const random = seededRandom(2);
    const input = Float32Array.from({ length: 2 * 3 * 32 * 32 }, () => random.uniform(0, 1));
    const simd = new FastCpuExecutor();
    const js = new FastCpuExecutor({ kernels: 'js' });
    expect(simd.kernels).toBe('wasm-simd');
    expect(js.kernels).toBe('js');
    const a = simd.run(graph, input, 2).get('logits')!.data;
    const b = js.run(graph, input, 2).get('logits')!.data;
    const scale = Math.max(1, ...[...b].map(Math.abs));
    expect(Math.max(...a.map((value, i) => Math.abs(value - b[i]!)))).toBeLessThan(1e-4 * scale);
  });
});
