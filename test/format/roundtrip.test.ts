import { describe, expect, it } from 'vitest';
import { TwnFormatError } from '../../src/errors.js';
import { crc32 } from '../../src/format/crc32.js';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import type { TwnFile } from '../../src/format/types.js';
import { buildLeNet5File } from '../../src/models/index.js';
import { assemble, splitFile, workedExampleFile } from './fixtures.js';

function expectSameTensors(actual: TwnFile, expected: TwnFile): void {
  expect([...actual.tensors.keys()]).toEqual([...expected.tensors.keys()]);
  for (const [name, tensor] of expected.tensors) {
    const read = actual.tensors.get(name)!;
    expect(read.dtype).toBe(tensor.dtype);
    expect(read.shape).toEqual(tensor.shape);
    expect(read.data.constructor).toBe(tensor.data.constructor);
    // Bit-exact, including −0.
    const bits = (data: Float32Array | Uint32Array) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    expect(firstDifference(bits(read.data), bits(tensor.data)), name).toBe(-1);
  }
}

/** −1 when equal; a plain loop, as deep equality on large arrays is slow. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('writer → reader round trip', () => {
  const files: [string, () => TwnFile][] = [
    ['worked example', workedExampleFile],
    ['LeNet-5 per-channel, unfolded BatchNorm', () => buildLeNet5File({ seed: 3, granularity: 'per-channel', foldBatchNorm: false })],
  ];

  it.each(files)('%s: tensors and header survive, and re-writing gives the same bytes', (_, make) => {
    const file = make();
    const bytes = writeTwnFile(file);
    const read = readTwnFile(bytes);
    expectSameTensors(read, file);
    expect(read.input).toEqual(file.input);
    expect(read.outputs).toEqual(file.outputs);
    expect(read.nodes).toEqual(file.nodes);
    expect(read.metadata).toEqual(file.metadata);
    expect(firstDifference(writeTwnFile(read), bytes)).toBe(-1);
    expect(firstDifference(writeTwnFile(make()), bytes)).toBe(-1);
  });

  it('aligns the data section and every tensor to 64 bytes, with zero gaps', () => {
    const bytes = writeTwnFile(workedExampleFile());
    const { header, data, dataStart } = splitFile(bytes);
    expect(dataStart % 64).toBe(0);
    expect(16 + new DataView(bytes.buffer).getUint32(8, true)).toBe(dataStart);
    const offsets = Object.values(JSON.parse(header).tensors as Record<string, { offset: number; length: number }>);
    expect(offsets.map((t) => t.offset)).toEqual([0, 64, 128]);
    expect(data.length).toBe(136);
    expect([...data.subarray(8, 64), ...data.subarray(68, 128)].every((b) => b === 0)).toBe(true);
  });

  it('copies tensors out of the input, at any byteOffset', () => {
    const bytes = writeTwnFile(workedExampleFile());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const input = shifted.subarray(1);
    const read = readTwnFile(input);
    input.fill(0, splitFile(bytes).dataStart);
    expect([...read.tensors.get('fc.bias')!.data]).toEqual([0.25, -1]);
    expect(read.tensors.get('fc.bias')!.data.buffer).not.toBe(shifted.buffer);
  });

  it('accepts a header padded with zeros instead of spaces, and tensors at 4-byte offsets with gaps', () => {
    const { header, data } = splitFile(writeTwnFile(workedExampleFile()));
    expect(readTwnFile(assemble(header, data, false)).tensors.size).toBe(3);
    const json = JSON.parse(header);
    json.tensors['fc.alpha'].offset = 12;
    const moved = data.slice();
    moved.copyWithin(12, 64, 68);
    moved.fill(0, 64, 68);
    json.dataCrc32 = crc32(moved);
    const read = readTwnFile(assemble(JSON.stringify(json), moved));
    expect([...read.tensors.get('fc.alpha')!.data]).toEqual([0.5]);
  });

  it('refuses to write what the reader would reject', () => {
    const withNaN = workedExampleFile();
    withNaN.tensors.set('fc.alpha', { dtype: 'f32', shape: [1], data: new Float32Array([NaN]) });
    expect(() => writeTwnFile(withNaN)).toThrow(expect.objectContaining({ code: 'NON_FINITE_VALUE' }));
    const wrongShape = workedExampleFile();
    wrongShape.tensors.set('fc.bias', { dtype: 'f32', shape: [3], data: new Float32Array(2) });
    expect(() => writeTwnFile(wrongShape)).toThrow(TwnFormatError);
    const wrongArray = workedExampleFile();
    wrongArray.tensors.set('fc.alpha', { dtype: 'f32', shape: [1], data: new Uint32Array(1) });
    expect(() => writeTwnFile(wrongArray)).toThrow(TypeError);
  });
});
