import { describe, expect, it } from 'vitest';
import { TwnFormatError, type FormatErrorCode } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { mulberry32 } from '../../src/models/random.js';
import { assemble, editData, editHeader, editHeaderText, splitFile, workedExampleFile } from './fixtures.js';

/**
 * Each case mutates the valid worked-example file so that exactly one check fails. Its data section:
 *   0…8 fc.weight (2 words), 64…68 fc.alpha, 128…136 fc.bias; dataLength 136.
 */
const valid = writeTwnFile(workedExampleFile());
const { dataStart } = splitFile(valid);

function rejection(bytes: Uint8Array): TwnFormatError {
  try {
    readTwnFile(bytes);
  } catch (error) {
    if (error instanceof TwnFormatError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

function withPreamble(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = valid.slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const header = (json: string) => assemble(json, splitFile(valid).data);

type Case = [name: string, bytes: () => Uint8Array, code: FormatErrorCode, where?: { path?: string; offset?: number }];

const cases: Case[] = [
  // §1 layout
  ['wrong magic', () => withPreamble((_, b) => b.set(latin1('TWN?'))), 'BAD_MAGIC', { offset: 0 }],
  ['PNG magic', () => withPreamble((_, b) => b.set([0x89, 0x50, 0x4e, 0x47])), 'BAD_MAGIC'],
  ['version 2', () => withPreamble((v) => v.setUint32(4, 2, true)), 'UNSUPPORTED_VERSION', { offset: 4 }],
  ['version 0', () => withPreamble((v) => v.setUint32(4, 0, true)), 'UNSUPPORTED_VERSION'],
  ['version big-endian 1', () => withPreamble((v) => v.setUint32(4, 1, false)), 'UNSUPPORTED_VERSION'],
  ['header length 0', () => withPreamble((v) => v.setUint32(8, 0, true)), 'BAD_HEADER_LENGTH', { offset: 8 }],
  ['header length 1', () => withPreamble((v) => v.setUint32(8, 1, true)), 'BAD_HEADER_LENGTH'],
  ['header length 16 MiB + 1', () => withPreamble((v) => v.setUint32(8, 16 * 1024 * 1024 + 1, true)), 'BAD_HEADER_LENGTH'],
  ['header length 0xFFFFFFFF', () => withPreamble((v) => v.setUint32(8, 0xffffffff, true)), 'BAD_HEADER_LENGTH'],
  ['header length beyond the file', () => withPreamble((v) => v.setUint32(8, valid.length, true)), 'TRUNCATED', { offset: valid.length }],
  ['header length 16 MiB, file small', () => withPreamble((v) => v.setUint32(8, 16 * 1024 * 1024, true)), 'TRUNCATED'],
  ['reserved byte 12 set', () => withPreamble((_, b) => (b[12] = 1)), 'RESERVED_NONZERO', { offset: 12 }],
  ['reserved byte 15 set', () => withPreamble((_, b) => (b[15] = 0x80)), 'RESERVED_NONZERO'],
  [
    'non-zero padding before the data section',
    () => {
      const { header: text, data } = splitFile(valid);
      const bytes = assemble(text, data, false);
      bytes[16 + text.length + 1] = 0x20;
      return bytes;
    },
    'RESERVED_NONZERO',
  ],
  [
    'file ends in the padding before the data section',
    () => {
      const { header: text } = splitFile(valid);
      return assemble(text, new Uint8Array(0), false).subarray(0, 16 + text.length + 1);
    },
    'TRUNCATED',
  ],
  // header bytes
  ['invalid UTF-8 byte 0xFF', () => assemble(latin1('{"a":"\xff"}'), splitFile(valid).data), 'HEADER_NOT_UTF8', { offset: 16 }],
  ['overlong UTF-8 encoding', () => assemble(latin1('{"a":"\xc0\xaf"}'), splitFile(valid).data), 'HEADER_NOT_UTF8'],
  ['UTF-16 surrogate in UTF-8', () => assemble(latin1('{"a":"\xed\xa0\x80"}'), splitFile(valid).data), 'HEADER_NOT_UTF8'],
  ['truncated multi-byte sequence', () => assemble(latin1('{"a":"\xe2\x82"}'), splitFile(valid).data), 'HEADER_NOT_UTF8'],
  ['byte-order mark', () => editHeaderText(valid, (t) => '\ufeff' + t), 'HEADER_NOT_JSON'],
  ['not JSON', () => header('TWN header?'), 'HEADER_NOT_JSON', { offset: 16 }],
  ['truncated JSON', () => editHeaderText(valid, (t) => t.slice(0, -1)), 'HEADER_NOT_JSON'],
  ['NaN literal', () => editHeaderText(valid, (t) => t.replace('"shape":[1,1,3]', '"shape":[NaN,1,3]')), 'HEADER_NOT_JSON'],
  ['JSON array', () => header('[]'), 'HEADER_NOT_JSON'],
  ['JSON string', () => header('"{}"'), 'HEADER_NOT_JSON'],
  ['JSON null', () => header('null'), 'HEADER_NOT_JSON'],
  ['100 000 nested arrays', () => header('['.repeat(100_000)), 'HEADER_NOT_JSON'],
  ['100 000 nested arrays, closed', () => header('['.repeat(100_000) + ']'.repeat(100_000)), 'HEADER_NOT_JSON'],
  ['deep nesting inside metadata', () => editHeaderText(valid, (t) => t.replace('"trained":false', `"trained":false,"x":${'{"a":'.repeat(70)}0${'}'.repeat(70)}`)), 'HEADER_NOT_JSON'],
  // §2 schema
  ['missing tensors', () => editHeader(valid, (j) => delete j.tensors), 'SCHEMA', { path: '$.tensors' }],
  ['missing dataCrc32', () => editHeader(valid, (j) => delete j.dataCrc32), 'SCHEMA', { path: '$.dataCrc32' }],
  ['unknown top-level key', () => editHeader(valid, (j) => (j.extra = 1)), 'SCHEMA', { path: '$.extra' }],
  ['misspelt top-level key', () => editHeader(valid, (j) => ((j.output = j.outputs), delete j.outputs)), 'SCHEMA', { path: '$.outputs' }],
  ['unknown key in a tensor entry', () => editHeader(valid, (j) => (j.tensors['fc.bias'].stride = 4)), 'SCHEMA', { path: '$.tensors["fc.bias"].stride' }],
  ['unknown key in a node', () => editHeader(valid, (j) => (j.nodes[1].weights = {})), 'SCHEMA', { path: '$.nodes[1].weights' }],
  ['unknown key in input', () => editHeader(valid, (j) => (j.input.scale = 255)), 'SCHEMA', { path: '$.input.scale' }],
  ['tensors is an array', () => editHeader(valid, (j) => (j.tensors = [])), 'SCHEMA', { path: '$.tensors' }],
  ['nodes is an object', () => editHeader(valid, (j) => (j.nodes = {})), 'SCHEMA', { path: '$.nodes' }],
  ['outputs empty', () => editHeader(valid, (j) => (j.outputs = [])), 'SCHEMA', { path: '$.outputs' }],
  ['outputs holds a number', () => editHeader(valid, (j) => (j.outputs = [1])), 'SCHEMA', { path: '$.outputs[0]' }],
  ['negative shape entry', () => editHeader(valid, (j) => (j.tensors['fc.weight'].shape = [2, -3])), 'SCHEMA', { path: '$.tensors["fc.weight"].shape[1]' }],
  ['zero shape entry', () => editHeader(valid, (j) => (j.tensors['fc.bias'].shape = [0])), 'SCHEMA', { path: '$.tensors["fc.bias"].shape[0]' }],
  ['fractional shape entry', () => editHeader(valid, (j) => (j.tensors['fc.bias'].shape = [2.5])), 'SCHEMA'],
  ['string shape entry', () => editHeader(valid, (j) => (j.tensors['fc.bias'].shape = ['2'])), 'SCHEMA'],
  ['null shape entry', () => editHeader(valid, (j) => (j.tensors['fc.bias'].shape = [null])), 'SCHEMA'],
  ['shape entry 2^53', () => editHeaderText(valid, (t) => t.replace('"shape":[2]', '"shape":[9007199254740992]')), 'SCHEMA', { path: '$.tensors["fc.bias"].shape[0]' }],
  ['shape entry 1e999 (parses as Infinity)', () => editHeaderText(valid, (t) => t.replace('"shape":[2]', '"shape":[1e999]')), 'SCHEMA'],
  ['rank 0', () => editHeader(valid, (j) => (j.tensors['fc.bias'].shape = [])), 'SCHEMA', { path: '$.tensors["fc.bias"].shape' }],
  ['rank 5', () => editHeader(valid, (j) => (j.tensors['fc.bias'].shape = [1, 1, 1, 1, 2])), 'SCHEMA'],
  ['ternary2 of rank 1', () => editHeader(valid, (j) => (j.tensors['fc.weight'].shape = [6])), 'SCHEMA', { path: '$.tensors["fc.weight"].shape' }],
  ['negative offset', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = -128)), 'SCHEMA', { path: '$.tensors["fc.bias"].offset' }],
  ['fractional offset', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = 128.5)), 'SCHEMA'],
  ['offset 1e300', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = 1e300)), 'SCHEMA'],
  ['string length', () => editHeader(valid, (j) => (j.tensors['fc.bias'].length = '8')), 'SCHEMA', { path: '$.tensors["fc.bias"].length' }],
  ['negative dataLength', () => editHeader(valid, (j) => (j.dataLength = -1)), 'SCHEMA', { path: '$.dataLength' }],
  ['dataCrc32 ≥ 2^32', () => editHeader(valid, (j) => (j.dataCrc32 += 2 ** 32)), 'SCHEMA', { path: '$.dataCrc32' }],
  ['dtype not a string', () => editHeader(valid, (j) => (j.tensors['fc.bias'].dtype = 32)), 'SCHEMA', { path: '$.tensors["fc.bias"].dtype' }],
  ['empty tensor name', () => editHeader(valid, (j) => (j.tensors[''] = j.tensors['fc.bias'])), 'SCHEMA', { path: '$.tensors[""]' }],
  ['node name a number', () => editHeader(valid, (j) => (j.nodes[0].name = 0)), 'SCHEMA', { path: '$.nodes[0].name' }],
  ['node inputs a string', () => editHeader(valid, (j) => (j.nodes[0].inputs = 'image')), 'SCHEMA', { path: '$.nodes[0].inputs' }],
  ['attr value an object', () => editHeader(valid, (j) => (j.nodes[1].attrs = { activation: { kind: 'relu' } })), 'SCHEMA', { path: '$.nodes[1].attrs.activation' }],
  ['attr value a mixed array', () => editHeader(valid, (j) => (j.nodes[1].attrs = { kernel: [1, 'x'] })), 'SCHEMA', { path: '$.nodes[1].attrs.kernel[1]' }],
  ['attr value null', () => editHeader(valid, (j) => (j.nodes[1].attrs = { epsilon: null })), 'SCHEMA'],
  ['param naming a number', () => editHeader(valid, (j) => (j.nodes[1].params.weight = 7)), 'SCHEMA', { path: '$.nodes[1].params.weight' }],
  ['node not an object', () => editHeader(valid, (j) => (j.nodes[0] = 'flatten')), 'SCHEMA', { path: '$.nodes[0]' }],
  // §3 input
  ['colorLayout cmyk', () => editHeader(valid, (j) => (j.input.colorLayout = 'cmyk')), 'SCHEMA', { path: '$.input.colorLayout' }],
  ['gray with 3 channels', () => editHeader(valid, (j) => (j.input.shape = [3, 1, 3])), 'SCHEMA', { path: '$.input.shape[0]' }],
  ['rgb with 1 channel', () => editHeader(valid, (j) => (j.input.colorLayout = 'rgb')), 'SCHEMA', { path: '$.input.shape[0]' }],
  ['input rank 4', () => editHeader(valid, (j) => (j.input.shape = [1, 1, 1, 3])), 'SCHEMA', { path: '$.input.shape' }],
  ['mean of the wrong length', () => editHeader(valid, (j) => (j.input.mean = [0.5, 0.5])), 'SCHEMA', { path: '$.input.mean' }],
  ['std zero', () => editHeader(valid, (j) => (j.input.std = [0])), 'SCHEMA', { path: '$.input.std[0]' }],
  ['std negative', () => editHeader(valid, (j) => (j.input.std = [-0.25])), 'SCHEMA', { path: '$.input.std[0]' }],
  ['labels hold a number', () => editHeader(valid, (j) => (j.input.labels = ['no', 1])), 'SCHEMA', { path: '$.input.labels[1]' }],
  ['empty input name', () => editHeader(valid, (j) => (j.input.name = '')), 'SCHEMA', { path: '$.input.name' }],
  // §7 metadata
  ['metadata without trained', () => editHeader(valid, (j) => delete j.metadata.trained), 'SCHEMA', { path: '$.metadata.trained' }],
  ['trained a string', () => editHeader(valid, (j) => (j.metadata.trained = 'no')), 'SCHEMA', { path: '$.metadata.trained' }],
  ['unknown weightMode', () => editHeader(valid, (j) => (j.metadata.weightMode = 'quaternary')), 'SCHEMA', { path: '$.metadata.weightMode' }],
  ['accuracy above 1', () => editHeader(valid, (j) => (j.metadata.accuracy = { top1: 99.4 })), 'SCHEMA', { path: '$.metadata.accuracy.top1' }],
  ['fullPrecisionLayers not strings', () => editHeader(valid, (j) => (j.metadata.fullPrecisionLayers = [0])), 'SCHEMA', { path: '$.metadata.fullPrecisionLayers[0]' }],
  // §2 dataLength, §5 tensor table
  ['dataLength one more', () => editHeader(valid, (j) => (j.dataLength += 1)), 'DATA_LENGTH_MISMATCH', { path: '$.dataLength' }],
  ['a trailing byte', () => Uint8Array.from([...valid, 0]), 'DATA_LENGTH_MISMATCH'],
  ['dtype f16', () => editHeader(valid, (j) => (j.tensors['fc.bias'].dtype = 'f16')), 'UNSUPPORTED_DTYPE', { path: '$.tensors["fc.bias"].dtype' }],
  ['dtype int8', () => editHeader(valid, (j) => (j.tensors['fc.weight'].dtype = 'int8')), 'UNSUPPORTED_DTYPE'],
  ['f32 length short of the shape', () => editHeader(valid, (j) => (j.tensors['fc.bias'].length = 4)), 'TENSOR_SIZE_MISMATCH', { path: '$.tensors["fc.bias"].length' }],
  ['f32 shape larger than the length', () => editHeader(valid, (j) => (j.tensors['fc.alpha'].shape = [2])), 'TENSOR_SIZE_MISMATCH'],
  // [2, 17]: two rows of ⌈17/16⌉ = 2 words = 16 bytes, but the entry says 8.
  ['ternary2 rows longer than 16', () => editHeader(valid, (j) => (j.tensors['fc.weight'].shape = [2, 17])), 'TENSOR_SIZE_MISMATCH'],
  ['ternary2 read as f32', () => editHeader(valid, (j) => (j.tensors['fc.weight'].dtype = 'f32')), 'TENSOR_SIZE_MISMATCH'],
  ['out of bounds', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = 132)), 'TENSOR_OUT_OF_BOUNDS', { path: '$.tensors["fc.bias"]' }],
  ['offset far out of bounds', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = 2 ** 40)), 'TENSOR_OUT_OF_BOUNDS'],
  ['length past the end', () => editHeader(valid, (j) => (j.tensors['fc.alpha'].length = 2 ** 50)), 'TENSOR_OUT_OF_BOUNDS'],
  ['misaligned offset', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = 66)), 'TENSOR_MISALIGNED', { path: '$.tensors["fc.bias"].offset' }],
  ['two tensors at one offset', () => editHeader(valid, (j) => (j.tensors['fc.bias'].offset = 64)), 'TENSOR_OVERLAP'],
  ['a tensor starting inside another', () => editHeader(valid, (j) => (j.tensors['fc.alpha'].offset = 4)), 'TENSOR_OVERLAP', { path: '$.tensors["fc.alpha"]' }],
  // §5 contents (CRC fixed so the content check is what fails)
  ['code 3', () => editData(valid, (_, v) => v.setUint32(0, 0x21 | (3 << 2), true)), 'INVALID_TERNARY_CODE', { offset: dataStart }],
  ['non-zero padding code', () => editData(valid, (_, v) => v.setUint32(4, 0x18 | (1 << 6), true)), 'INVALID_TERNARY_CODE', { offset: dataStart + 4 }],
  ['padding code 2 in the top bits', () => editData(valid, (_, v) => v.setUint32(4, (0x18 | (2 << 30)) >>> 0, true)), 'INVALID_TERNARY_CODE'],
  ['NaN alpha', () => editData(valid, (_, v) => v.setFloat32(64, NaN, true)), 'NON_FINITE_VALUE', { offset: dataStart + 64 }],
  ['+∞ bias', () => editData(valid, (_, v) => v.setFloat32(132, Infinity, true)), 'NON_FINITE_VALUE', { offset: dataStart + 132 }],
  ['−∞ bias', () => editData(valid, (_, v) => v.setFloat32(128, -Infinity, true)), 'NON_FINITE_VALUE'],
  ['a flipped data bit', () => Uint8Array.from(valid, (b, i) => (i === dataStart + 129 ? b ^ 0x01 : b)), 'CHECKSUM_MISMATCH', { offset: dataStart }],
  ['a flipped bit in a gap', () => Uint8Array.from(valid, (b, i) => (i === dataStart + 30 ? b ^ 0x80 : b)), 'CHECKSUM_MISMATCH'],
  ['dataCrc32 off by one', () => editHeader(valid, (j) => (j.dataCrc32 = (j.dataCrc32 + 1) % 2 ** 32)), 'CHECKSUM_MISMATCH'],
];

describe('readTwnFile rejects malformed files', () => {
  it('accepts the unmutated file, and metadata nested below the depth limit', () => {
    expect(readTwnFile(valid).tensors.size).toBe(3);
    const nested = editHeaderText(valid, (t) => t.replace('"trained":false', `"trained":false,"x":${'{"a":'.repeat(60)}0${'}'.repeat(60)}`));
    expect(readTwnFile(nested).metadata.x).toBeDefined();
  });

  it.each(cases)('%s → %s', (_, make, code, where) => {
    const error = rejection(make());
    expect(error.code).toBe(code);
    if (where?.path !== undefined) expect(error.path).toBe(where.path);
    if (where?.offset !== undefined) expect(error.offset).toBe(where.offset);
  });

  it('reports TRUNCATED for a cut anywhere before the data section, DATA_LENGTH_MISMATCH after it', () => {
    for (let length = 0; length < valid.length; length++) {
      const error = rejection(valid.subarray(0, length));
      expect([length, error.code]).toEqual([length, length < dataStart ? 'TRUNCATED' : 'DATA_LENGTH_MISMATCH']);
    }
  });

  it('rejects a forged shape whose product overflows without allocating', () => {
    for (const shape of [[2 ** 31, 2 ** 31], [2 ** 52, 2 ** 52, 2 ** 52, 2 ** 52], [1, 2 ** 53 - 1], [2 ** 53 - 1, 1]]) {
      const forged = editHeader(valid, (j) => (j.tensors['fc.weight'].shape = shape));
      // Allocating such a shape would throw a RangeError (or exhaust memory) instead: the typed code proves the size
      // check comes first. No wall-clock bound: timings are not assertions here.
      expect(rejection(forged).code).toBe('TENSOR_SIZE_MISMATCH');
    }
  });

  it('rejects a 16 MiB header of spaces quickly', () => {
    const bytes = assemble(' '.repeat(16 * 1024 * 1024 - 16), new Uint8Array(0));
    expect(rejection(bytes).code).toBe('HEADER_NOT_JSON');
  });
});

describe('fuzzing', () => {
  it('2000 random flips and truncations each parse or throw TwnFormatError', () => {
    const random = mulberry32(20161605);
    const pick = (n: number) => Math.floor(random() * n);
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 2000; round++) {
      let bytes: Uint8Array = valid.slice();
      const mode = round % 4;
      if (mode === 3) {
        // Data-section flips with the CRC fixed, to reach the content checks.
        bytes = editData(valid, (data) => {
          for (let f = 0; f <= pick(3); f++) data[pick(data.length)]! ^= 1 << pick(8);
        });
      } else {
        const region = mode === 0 ? 16 : mode === 1 ? dataStart : bytes.length;
        for (let f = 0; f <= pick(4); f++) bytes[pick(region)]! ^= 1 << pick(8);
        if (random() < 0.3) bytes = bytes.subarray(0, pick(bytes.length + 1));
      }
      let outcome = 'parsed';
      try {
        readTwnFile(bytes);
      } catch (error) {
        if (!(error instanceof TwnFormatError)) throw new Error(`round ${round}: ${String(error)}`);
        outcome = error.code;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    // The mutations reach well past the preamble checks.
    for (const code of ['BAD_MAGIC', 'HEADER_NOT_JSON', 'CHECKSUM_MISMATCH', 'INVALID_TERNARY_CODE', 'TRUNCATED']) {
      expect(outcomes.get(code) ?? 0, code).toBeGreaterThan(0);
    }
  });
});
