/**
 * `.twn` reader (docs/FORMAT.md §1–§8): everything format-level is validated before any tensor is materialised, and
 * nothing is allocated in proportion to a header number before that number has been checked against the file size.
 */
import { TwnFormatError } from '../errors.js';
import type { Tensor } from '../graph/ir.js';
import { crc32 } from './crc32.js';
import { firstNonFinite } from './finite.js';
import { member, validateHeader, type ParsedHeader, type TensorEntry } from './header-schema.js';
import { findInvalidTernaryWord, ternaryRows, ternaryRowWords } from './ternary-pack.js';
import { DATA_ALIGNMENT, MAX_HEADER_BYTES, TWN_MAGIC, TWN_VERSION, type TwnFile } from './types.js';

export const PREAMBLE_BYTES = 16;
/** Deeper JSON is rejected before parsing, so neither JSON.parse nor later consumers of the header recurse without bound. */
export const MAX_JSON_DEPTH = 64;

export function readTwnFile(bytes: Uint8Array): TwnFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { headerLength, dataStart } = readLayout(bytes, view);
  const header = validateHeader(parseHeaderJson(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  const dataLength = bytes.length - dataStart;
  if (header.dataLength !== dataLength) {
    throw new TwnFormatError('DATA_LENGTH_MISMATCH', `dataLength is ${header.dataLength}, the data section has ${dataLength} bytes`, {
      path: '$.dataLength',
    });
  }
  const entries = checkTensorTable(header.tensors, dataLength);
  const crc = crc32(bytes.subarray(dataStart));
  if (crc !== header.dataCrc32) {
    throw new TwnFormatError('CHECKSUM_MISMATCH', `data section CRC-32 is ${crc}, dataCrc32 says ${header.dataCrc32}`, { offset: dataStart });
  }
  return {
    input: header.input,
    outputs: header.outputs,
    nodes: header.nodes,
    // In offset order, so re-writing a file the writer produced lays the tensors out exactly as before.
    tensors: new Map(entries.map((entry) => [entry.name, readTensor(view, dataStart, entry)])),
    metadata: header.metadata,
  };
}

function readLayout(bytes: Uint8Array, view: DataView): { headerLength: number; dataStart: number } {
  // The magic first, on the bytes there are: a short file that is not a .twn file at all says so (FORMAT.md §8).
  if (TWN_MAGIC.some((byte, i) => i < bytes.length && bytes[i] !== byte)) {
    throw new TwnFormatError('BAD_MAGIC', 'not a .twn file (magic is not "TWN!")', { offset: 0 });
  }
  if (bytes.length < PREAMBLE_BYTES) {
    throw new TwnFormatError('TRUNCATED', `a .twn file starts with ${PREAMBLE_BYTES} bytes, got ${bytes.length}`, { offset: bytes.length });
  }
  const version = view.getUint32(4, true);
  if (version !== TWN_VERSION) {
    throw new TwnFormatError('UNSUPPORTED_VERSION', `format version ${version}, this reader reads ${TWN_VERSION}`, { offset: 4 });
  }
  const headerLength = view.getUint32(8, true);
  if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
    throw new TwnFormatError('BAD_HEADER_LENGTH', `header length ${headerLength} is outside 2…${MAX_HEADER_BYTES}`, { offset: 8 });
  }
  if (view.getUint32(12, true) !== 0) throw new TwnFormatError('RESERVED_NONZERO', 'reserved bytes 12–15 are not zero', { offset: 12 });
  const headerEnd = PREAMBLE_BYTES + headerLength;
  const dataStart = Math.ceil(headerEnd / DATA_ALIGNMENT) * DATA_ALIGNMENT;
  if (bytes.length < dataStart) {
    const what = bytes.length < headerEnd ? `the ${headerLength}-byte header` : 'the padding before the data section';
    throw new TwnFormatError('TRUNCATED', `the file ends inside ${what}`, { offset: bytes.length });
  }
  const nonZero = bytes.subarray(headerEnd, dataStart).findIndex((b) => b !== 0);
  if (nonZero >= 0) throw new TwnFormatError('RESERVED_NONZERO', 'padding before the data section is not zero', { offset: headerEnd + nonZero });
  return { headerLength, dataStart };
}

function parseHeaderJson(headerBytes: Uint8Array): unknown {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, where JSON.parse rejects it as the format requires.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new TwnFormatError('HEADER_NOT_UTF8', 'the header is not valid UTF-8', { offset: PREAMBLE_BYTES });
  }
  if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
    throw new TwnFormatError('HEADER_NOT_JSON', `the header nests deeper than ${MAX_JSON_DEPTH} levels`, { offset: PREAMBLE_BYTES });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // SyntaxError for bad JSON; RangeError should an engine's parser run out of stack regardless of the depth check.
    const reason = error instanceof Error ? error.message : String(error);
    throw new TwnFormatError('HEADER_NOT_JSON', `the header is not JSON: ${reason}`, { offset: PREAMBLE_BYTES });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TwnFormatError('HEADER_NOT_JSON', 'the header is JSON but not an object', { offset: PREAMBLE_BYTES });
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    const message = 'a key appears twice in one object (JSON.parse would keep the last)';
    throw new TwnFormatError('DUPLICATE_KEY', message, { path: duplicate });
  }
  return json;
}

/**
 * The JSON path of the first key that repeats within one object of `text` (valid JSON), compared after unescaping,
 * or undefined. One linear pass with an explicit stack: JSON.parse keeps the last of duplicate keys silently, so a
 * second `dataCrc32` or tensor entry would otherwise override the first unnoticed.
 */
function findDuplicateKey(text: string): string | undefined {
  interface Container {
    readonly path: string;
    /** Keys seen so far; undefined for an array. */
    readonly keys: Set<string> | undefined;
    index: number;
    member: string;
  }
  const stack: Container[] = [];
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const top = stack[stack.length - 1];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      if (!expectingKey || top?.keys === undefined) continue;
      const raw = text.slice(start + 1, i);
      const key = raw.includes('\\') ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
      if (top.keys.has(key)) return `${top.path}${member(key)}`;
      top.keys.add(key);
      top.member = member(key);
      expectingKey = false;
    } else if (c === '{' || c === '[') {
      const inside = top?.keys === undefined ? `[${top?.index}]` : top.member;
      const path = top === undefined ? '$' : `${top.path}${inside}`;
      stack.push({ path, keys: c === '{' ? new Set() : undefined, index: 0, member: '' });
      expectingKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      if (top?.keys === undefined) top!.index++;
      else expectingKey = true;
    }
  }
  return undefined;
}

/** Bracket depth outside strings; a linear scan that does not itself recurse. */
function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Alignment, bounds and exact length per tensor, then overlaps; returns the entries in offset order. */
function checkTensorTable(tensors: ParsedHeader['tensors'], dataLength: number): TensorEntry[] {
  for (const entry of tensors) {
    const { offset, length, path } = entry;
    if (offset % 4 !== 0) throw new TwnFormatError('TENSOR_MISALIGNED', `offset ${offset} is not a multiple of 4`, { path: `${path}.offset` });
    if (offset > dataLength || length > dataLength - offset) {
      throw new TwnFormatError('TENSOR_OUT_OF_BOUNDS', `bytes ${offset}…${offset + length} exceed dataLength ${dataLength}`, { path });
    }
    const implied = impliedByteLength(entry, length);
    if (implied !== length) {
      const expected = implied === undefined ? `more than ${length}` : `${implied}`;
      throw new TwnFormatError('TENSOR_SIZE_MISMATCH', `length ${length}, but ${entry.dtype} [${entry.shape.join(', ')}] needs ${expected}`, {
        path: `${path}.length`,
      });
    }
  }
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const entry = sorted[i]!;
    if (entry.offset < previous.offset + previous.length) {
      throw new TwnFormatError('TENSOR_OVERLAP', `overlaps tensor "${previous.name}"`, { path: entry.path });
    }
  }
  return sorted;
}

/**
 * Bytes that dtype and shape imply, or undefined once a partial product passes `limit`: a forged shape such as
 * [2^31, 2^31] stops after two multiplications and never reaches the precision limit of doubles.
 */
function impliedByteLength({ dtype, shape }: TensorEntry, limit: number): number | undefined {
  if (dtype === 'f32') return boundedProduct([4, ...shape], limit);
  // K codes take at least K/4 bytes, so K beyond 4·limit already exceeds the limit.
  const rowLength = boundedProduct(shape.slice(1), 4 * limit);
  return rowLength === undefined ? undefined : boundedProduct([shape[0]!, 4 * ternaryRowWords(rowLength)], limit);
}

function boundedProduct(factors: readonly number[], limit: number): number | undefined {
  let product = 1;
  for (const factor of factors) {
    product *= factor;
    if (product > limit) return undefined;
  }
  return product;
}

/** Whether this machine stores numbers little-endian, as the file does: then a tensor is copied byte for byte. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Copies one tensor out of the file, checking each value; the allocation is the validated, in-bounds length. */
function readTensor(view: DataView, dataStart: number, entry: TensorEntry): Tensor {
  const start = dataStart + entry.offset;
  const count = entry.length / 4;
  const data = entry.dtype === 'f32' ? new Float32Array(count) : new Uint32Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(data.buffer).set(new Uint8Array(view.buffer, view.byteOffset + start, entry.length));
  } else {
    const read = entry.dtype === 'f32' ? view.getFloat32.bind(view) : view.getUint32.bind(view);
    for (let i = 0; i < count; i++) data[i] = read(start + 4 * i, true);
  }
  if (data instanceof Float32Array) {
    const bad = firstNonFinite(data);
    if (bad >= 0) {
      throw new TwnFormatError('NON_FINITE_VALUE', `tensor "${entry.name}" holds ${data[bad]} at index ${bad}`, {
        offset: start + 4 * bad,
      });
    }
    return { dtype: 'f32', shape: entry.shape, data };
  }
  const bad = findInvalidTernaryWord(data, ternaryRows(entry.shape).rowLength);
  if (bad >= 0) {
    throw new TwnFormatError('INVALID_TERNARY_CODE', `tensor "${entry.name}" has a code 3 or a non-zero padding code in word ${bad}`, {
      offset: start + 4 * bad,
    });
  }
  return { dtype: 'ternary2', shape: entry.shape, data };
}
