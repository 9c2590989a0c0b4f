/**
 * The WebAssembly SIMD path of the fast CPU backend: its hand-written encoder, its tile kernel against a float64
 * sum over the same codes (at tile widths and channel counts around the 8-lane block), and its memory handling.
 */
import { describe, expect, it } from 'vitest';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/executor.js';
import { WasmArena } from '../../src/backends/cpu-fast/wasm/arena.js';
import { signedLeb, unsignedLeb } from '../../src/backends/cpu-fast/wasm/encode.js';
import { FLOAT_TILE_MODULE } from '../../src/backends/cpu-fast/wasm/float-tile.js';
import { TERNARY_TILE_MODULE } from '../../src/backends/cpu-fast/wasm/ternary-tile.js';
import { weightRows } from '../../src/backends/cpu-fast/weight-rows.js';
import { readTwnFile } from '../../src/format/reader.js';
import { packTernary } from '../../src/format/ternary-pack.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Tensor } from '../../src/graph/ir.js';
import { buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { tinyResNetFile } from '../graph/fixtures.js';

function arena(): WasmArena {
  const created = WasmArena.create();
  if (created === undefined) throw new Error('Node has WebAssembly SIMD; WasmArena.create() must succeed here');
  return created;
}

function randomCodes(seed: number, count: number): Int8Array {
  const random = seededRandom(seed);
  return Int8Array.from({ length: count }, () => Math.floor(random.uniform(0, 3)) - 1);
}

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

  it('the kernel modules validate and are small enough for synchronous compilation; the ternary one never multiplies a float', () => {
    for (const module of [TERNARY_TILE_MODULE, FLOAT_TILE_MODULE]) {
      expect(WebAssembly.validate(module)).toBe(true);
      expect(module.byteLength).toBeLessThan(4096);
    }
    const bytes = [...TERNARY_TILE_MODULE].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    expect(bytes).not.toContain('fd e6 01'); // f32x4.mul
    expect(bytes).toContain('fd e4 01'); // f32x4.add
    expect(bytes).toContain('fd e5 01'); // f32x4.sub
  });
});

describe('ternary tile kernel', () => {
  // Widths around the 8-lane block; channel counts and row lengths odd and even; a tile narrower than its width.
  const cases = [
    { channels: 1, rowLength: 1, width: 8, lanes: 8 },
    { channels: 3, rowLength: 27, width: 16, lanes: 16 },
    { channels: 5, rowLength: 33, width: 24, lanes: 16 },
    { channels: 16, rowLength: 1152, width: 8, lanes: 8 },
    { channels: 7, rowLength: 200, width: 40, lanes: 40 },
  ];

  it.each(cases)('$channels channels × $rowLength weights, tile width $width, $lanes lanes', ({ channels, rowLength, width, lanes }) => {
    const codes = randomCodes(channels * rowLength + width, channels * rowLength);
    const weight: Tensor = { dtype: 'ternary2', shape: [channels, rowLength], data: packTernary(codes, [channels, rowLength]) };
    const space = arena();
    const rows = weightRows(weight, space).forWidth(width);
    const scratch = space.scratch(rowLength * width + channels * lanes);
    const col = scratch.subarray(0, rowLength * width);
    const sums = scratch.subarray(rowLength * width);
    const random = seededRandom(lanes);
    for (let i = 0; i < col.length; i++) col[i] = random.normal();
    expect(rows.tile(col, lanes, sums)).toBe(true);
    // Float32 summation of n terms errs by at most n·2⁻²⁴·Σ|terms| (a rigorous bound); one wrong term costs ~1.
    let worst = 0;
    for (let o = 0; o < channels; o++) {
      for (let lane = 0; lane < lanes; lane++) {
        let exact = 0;
        let magnitude = 0;
        for (let k = 0; k < rowLength; k++) {
          exact += codes[o * rowLength + k]! * col[k * width + lane]!;
          magnitude += Math.abs(codes[o * rowLength + k]! * col[k * width + lane]!);
        }
        const bound = (rowLength + 1) * 2 ** -24 * magnitude;
        worst = Math.max(worst, Math.abs(sums[o * lanes + lane]! - exact) / Math.max(bound, Number.MIN_VALUE));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it.each([
    { channels: 3, rowLength: 27, width: 16, lanes: 16 },
    { channels: 10, rowLength: 513, width: 8, lanes: 8 },
  ])('float rows: $channels channels × $rowLength weights, width $width', ({ channels, rowLength, width, lanes }) => {
    const random = seededRandom(rowLength);
    const values = Float32Array.from({ length: channels * rowLength }, () => random.normal());
    const weight: Tensor = { dtype: 'f32', shape: [channels, rowLength], data: values };
    const space = arena();
    const rows = weightRows(weight, space).forWidth(width);
    const scratch = space.scratch(rowLength * width + channels * lanes);
    const col = scratch.subarray(0, rowLength * width);
    const sums = scratch.subarray(rowLength * width);
    for (let i = 0; i < col.length; i++) col[i] = random.normal();
    expect(rows.tile(col, lanes, sums)).toBe(true);
    for (let o = 0; o < channels; o++) {
      for (let lane = 0; lane < lanes; lane++) {
        let exact = 0;
        let magnitude = 0;
        for (let k = 0; k < rowLength; k++) {
          exact += values[o * rowLength + k]! * col[k * width + lane]!;
          magnitude += Math.abs(values[o * rowLength + k]! * col[k * width + lane]!);
        }
        // Each product rounds once and each addition once: within 2(n+1)·2⁻²⁴·Σ|terms|.
        expect(Math.abs(sums[o * lanes + lane]! - exact)).toBeLessThanOrEqual(2 * (rowLength + 1) * 2 ** -24 * magnitude);
      }
    }
  });

  it('padded-input rows (stride-1 conv without im2col) sum the right window values, in WebAssembly and in JavaScript', () => {
    const [outChannels, channels, kernelH, kernelW, paddedH, paddedW, outW] = [6, 5, 3, 5, 9, 20, 16];
    const codes = randomCodes(77, outChannels * channels * kernelH * kernelW);
    const shape = [outChannels, channels, kernelH, kernelW];
    const weight: Tensor = { dtype: 'ternary2', shape, data: packTernary(codes, shape) };
    const space = arena();
    const plane = paddedH * paddedW;
    const scratch = space.scratch(channels * plane + outChannels * outW);
    const padded = scratch.subarray(0, channels * plane);
    const sums = scratch.subarray(channels * plane);
    const random = seededRandom(78);
    for (let i = 0; i < padded.length; i++) padded[i] = random.normal();
    const y = 2; // output row: its windows start at padded row y
    const col = padded.subarray(y * paddedW);
    const expected = (o: number, x: number) => {
      let sum = 0;
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < kernelH; i++) {
          for (let j = 0; j < kernelW; j++) sum += codes[((o * channels + c) * kernelH + i) * kernelW + j]! * padded[c * plane + (y + i) * paddedW + x + j]!;
        }
      }
      return sum;
    };
    const rows = weightRows(weight, space).forPaddedInput(plane, paddedW)!;
    expect(rows.tile(col, outW, sums)).toBe(true);
    const jsRows = weightRows(weight, undefined).forPaddedInput(plane, paddedW)!;
    const block = new Float64Array(8);
    for (let o = 0; o < outChannels; o++) {
      for (let x = 0; x < outW; x++) expect(sums[o * outW + x]).toBeCloseTo(expected(o, x), 4);
      jsRows.block(col, o, 8, block);
      for (let r = 0; r < 8; r++) expect(block[r]).toBeCloseTo(expected(o, 8 + r), 10);
      expect(jsRows.lane(col, o, 3)).toBeCloseTo(expected(o, 3), 10);
    }
  });

  it('declines (returns false, writes nothing) for buffers outside its memory or lanes not a multiple of 8', () => {
    const weight: Tensor = { dtype: 'ternary2', shape: [2, 4], data: packTernary([1, -1, 0, 1, 0, 0, -1, 1], [2, 4]) };
    const space = arena();
    const rows = weightRows(weight, space).forWidth(8);
    const heapSums = new Float32Array(16).fill(7);
    expect(rows.tile(new Float32Array(32), 8, heapSums)).toBe(false);
    expect([...heapSums]).toEqual(new Array(16).fill(7));
    const scratch = space.scratch(32 + 16);
    expect(rows.tile(scratch.subarray(0, 32), 4, scratch.subarray(32))).toBe(false);
    expect(weightRows(weight, undefined).forWidth(8).tile(scratch.subarray(0, 32), 8, scratch.subarray(32))).toBe(false);
  });
});

describe('arena', () => {
  it('keeps stored index lists when the memory grows, and hands out a fresh scratch view after growth', () => {
    const space = arena();
    const first = Int32Array.from({ length: 1000 }, (_, i) => i * 3);
    const address = space.store(first)!;
    const small = space.scratch(16);
    const large = space.scratch(1_000_000); // grows the memory: every earlier view is detached
    expect(small.length).toBe(0);
    expect(large.length).toBeGreaterThanOrEqual(1_000_000);
    expect(space.owns(large)).toBe(true);
    expect(large.byteOffset).toBeGreaterThanOrEqual(address + first.byteLength);
    const second = space.store(Int32Array.of(5, 6, 7))!;
    expect(second).toBeGreaterThanOrEqual(address + first.byteLength);
    // Read back through a scratch view of the same memory: the scratch now starts after both lists.
    const view = space.scratch(1);
    const words = new Int32Array(view.buffer, 0, view.byteOffset / 4);
    expect([...words.subarray(address / 4, address / 4 + 1000)]).toEqual([...first]);
    expect([...words.subarray(second / 4, second / 4 + 3)]).toEqual([5, 6, 7]);
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
