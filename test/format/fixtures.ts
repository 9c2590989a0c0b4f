import { crc32 } from '../../src/format/crc32.js';
import { PREAMBLE_BYTES } from '../../src/format/reader.js';
import { packTernary } from '../../src/format/ternary-pack.js';
import type { TwnFile } from '../../src/format/types.js';

/** The file of docs/FORMAT.md §9: flatten → dense with a 2×3 ternary weight, per-layer α and a bias. */
export function workedExampleFile(): TwnFile {
  return {
    input: { name: 'image', shape: [1, 1, 3], colorLayout: 'gray', mean: [0.5], std: [0.25], labels: ['no', 'yes'] },
    outputs: ['logits'],
    nodes: [
      { name: 'flatten', op: 'flatten', inputs: ['image'], outputs: ['flat'], attrs: {}, params: {} },
      {
        name: 'fc',
        op: 'dense',
        inputs: ['flat'],
        outputs: ['logits'],
        attrs: {},
        params: { weight: 'fc.weight', alpha: 'fc.alpha', bias: 'fc.bias' },
      },
    ],
    tensors: new Map([
      ['fc.weight', { dtype: 'ternary2', shape: [2, 3], data: packTernary([1, 0, -1, 0, -1, 1], [2, 3]) }],
      ['fc.alpha', { dtype: 'f32', shape: [1], data: new Float32Array([0.5]) }],
      ['fc.bias', { dtype: 'f32', shape: [2], data: new Float32Array([0.25, -1]) }],
    ]),
    metadata: { architecture: 'example', trained: false },
  };
}

/** The parts of a file: its header text (padding trimmed) and its data section. */
export function splitFile(bytes: Uint8Array): { header: string; data: Uint8Array; dataStart: number } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const dataStart = Math.ceil((PREAMBLE_BYTES + headerLength) / 64) * 64;
  const header = new TextDecoder().decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)).trimEnd();
  return { header, data: bytes.slice(dataStart), dataStart };
}

/**
 * A file from raw header bytes and a data section with a correct preamble. The header is padded with spaces to the
 * 64-byte boundary, or with `padHeaderWithSpaces = false` left as is, with zero bytes up to the data section.
 */
export function assemble(header: Uint8Array | string, data: Uint8Array, padHeaderWithSpaces = true): Uint8Array {
  let headerBytes = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  if (padHeaderWithSpaces) {
    const padded = new Uint8Array(Math.ceil((PREAMBLE_BYTES + headerBytes.length) / 64) * 64 - PREAMBLE_BYTES).fill(0x20);
    padded.set(headerBytes);
    headerBytes = padded;
  }
  const dataStart = Math.ceil((PREAMBLE_BYTES + headerBytes.length) / 64) * 64;
  const bytes = new Uint8Array(dataStart + data.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x54, 0x57, 0x4e, 0x21]);
  view.setUint32(4, 1, true);
  view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, PREAMBLE_BYTES);
  bytes.set(data, dataStart);
  return bytes;
}

type Json = Record<string, any>;

/** `bytes` with its header JSON edited by `edit` (which mutates the parsed object); data and CRC untouched. */
export function editHeader(bytes: Uint8Array, edit: (json: Json) => void): Uint8Array {
  const { header, data } = splitFile(bytes);
  const json = JSON.parse(header) as Json;
  edit(json);
  return assemble(JSON.stringify(json), data);
}

/** `bytes` with its header text rewritten by `edit`, for values JSON.stringify cannot produce (1e999, raw bytes). */
export function editHeaderText(bytes: Uint8Array, edit: (text: string) => string): Uint8Array {
  const { header, data } = splitFile(bytes);
  return assemble(edit(header), data);
}

/** `bytes` with its data section edited in place by `edit`, and `dataCrc32` updated to match. */
export function editData(bytes: Uint8Array, edit: (data: Uint8Array, view: DataView) => void): Uint8Array {
  const { header, data } = splitFile(bytes);
  edit(data, new DataView(data.buffer));
  const json = JSON.parse(header) as Json;
  json.dataCrc32 = crc32(data);
  return assemble(JSON.stringify(json), data);
}
