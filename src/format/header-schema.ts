/**
 * The header's JSON schema (docs/FORMAT.md §2–§5, §7): types, ranges and key sets, with a JSON path in every error.
 * Byte-level facts (lengths, offsets against the data section, codes, checksum) are the reader's.
 */
import { TwnFormatError } from '../errors.js';
import type { AttrValue, DType, InputSpec } from '../graph/ir.js';
import { MAX_NODES, MAX_TENSORS, type StoredNode } from './types.js';

/** A tensor table entry: where its bytes are, not yet checked against the data section. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly offset: number;
  readonly length: number;
  readonly path: string;
}

export interface ParsedHeader {
  readonly input: InputSpec;
  readonly outputs: string[];
  readonly nodes: StoredNode[];
  readonly tensors: TensorEntry[];
  readonly dataLength: number;
  readonly dataCrc32: number;
  readonly metadata: Record<string, unknown>;
}

const CHANNELS_OF_LAYOUT = { gray: 1, rgb: 3 } as const;
const SUPPORTED_DTYPES: readonly DType[] = ['ternary2', 'f32'];
const MAX_TENSOR_RANK = 4;

export function validateHeader(json: unknown): ParsedHeader {
  const root = expectObject(json, '$');
  expectKeys(root, '$', ['input', 'outputs', 'nodes', 'tensors', 'dataLength', 'dataCrc32', 'metadata']);
  return {
    input: validateInput(root.input, '$.input'),
    outputs: expectStringArray(root.outputs, '$.outputs', 1),
    nodes: expectCountWithin(expectArray(root.nodes, '$.nodes'), MAX_NODES, 'TOO_MANY_NODES', '$.nodes').map(
      (node, i) => validateNode(node, `$.nodes[${i}]`),
    ),
    tensors: validateTensorTable(root.tensors, '$.tensors'),
    dataLength: expectSafeInteger(root.dataLength, '$.dataLength', 0),
    dataCrc32: expectSafeInteger(root.dataCrc32, '$.dataCrc32', 0, 0xffffffff),
    metadata: validateMetadata(root.metadata, '$.metadata'),
  };
}

function validateInput(value: unknown, path: string): InputSpec {
  const input = expectObject(value, path);
  expectKeys(input, path, ['name', 'shape', 'colorLayout', 'mean', 'std', 'labels']);
  const name = expectName(input.name, `${path}.name`);
  const shape = expectArray(input.shape, `${path}.shape`, 3, 3).map((d, i) => expectSafeInteger(d, `${path}.shape[${i}]`, 1));
  const colorLayout = expectOneOf(input.colorLayout, `${path}.colorLayout`, ['gray', 'rgb'] as const);
  const channels = CHANNELS_OF_LAYOUT[colorLayout];
  if (shape[0] !== channels) fail(`${path}.shape[0]`, `colorLayout "${colorLayout}" has ${channels} channel(s), shape says ${shape[0]}`);
  const perChannel = (key: 'mean' | 'std') =>
    expectArray(input[key], `${path}.${key}`, channels, channels).map((v, i) => expectFiniteNumber(v, `${path}.${key}[${i}]`));
  const mean = perChannel('mean');
  const std = perChannel('std');
  std.forEach((s, i) => {
    if (!(s > 0)) fail(`${path}.std[${i}]`, `std must be > 0, got ${s}`);
  });
  return {
    name,
    shape: [shape[0]!, shape[1]!, shape[2]!],
    colorLayout,
    mean,
    std,
    labels: expectStringArray(input.labels, `${path}.labels`),
  };
}

function validateNode(value: unknown, path: string): StoredNode {
  const node = expectObject(value, path);
  expectKeys(node, path, ['name', 'op', 'inputs', 'outputs'], ['attrs', 'params']);
  const stored = {
    name: expectName(node.name, `${path}.name`),
    op: expectName(node.op, `${path}.op`),
    inputs: expectStringArray(node.inputs, `${path}.inputs`),
    outputs: expectStringArray(node.outputs, `${path}.outputs`),
  };
  // Object.fromEntries defines own properties, so a key such as "__proto__" stays data instead of a prototype.
  const attrs: Record<string, AttrValue> = Object.fromEntries(
    optionalEntries(node.attrs, `${path}.attrs`).map(([key, v]) => [key, expectAttrValue(v, `${path}.attrs${member(key)}`)]),
  );
  const params: Record<string, string> = Object.fromEntries(
    optionalEntries(node.params, `${path}.params`).map(([role, v]) => [role, expectName(v, `${path}.params${member(role)}`)]),
  );
  return { ...stored, attrs, params };
}

/** `attrs` and `params` may be omitted when empty. */
function optionalEntries(value: unknown, path: string): [string, unknown][] {
  return value === undefined ? [] : Object.entries(expectObject(value, path));
}

function expectAttrValue(value: unknown, path: string): AttrValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return expectFiniteNumber(value, path);
  const items = expectArray(value, path);
  if (items.every((item) => typeof item === 'string')) return items as string[];
  return items.map((item, i) => expectFiniteNumber(item, `${path}[${i}]`));
}

function validateTensorTable(value: unknown, path: string): TensorEntry[] {
  const entries = expectCountWithin(Object.entries(expectObject(value, path)), MAX_TENSORS, 'TOO_MANY_TENSORS', path);
  return entries.map(([name, entry]) => {
    const at = `${path}${member(name)}`;
    if (name === '') fail(at, 'tensor names are non-empty');
    const tensor = expectObject(entry, at);
    expectKeys(tensor, at, ['dtype', 'shape', 'offset', 'length']);
    const dtype = expectString(tensor.dtype, `${at}.dtype`);
    if (!(SUPPORTED_DTYPES as readonly string[]).includes(dtype)) {
      throw new TwnFormatError('UNSUPPORTED_DTYPE', `dtype "${dtype}" is not one of ${SUPPORTED_DTYPES.join(', ')}`, { path: `${at}.dtype` });
    }
    const minRank = dtype === 'ternary2' ? 2 : 1;
    const shape = expectArray(tensor.shape, `${at}.shape`, minRank, MAX_TENSOR_RANK).map((d, i) =>
      expectSafeInteger(d, `${at}.shape[${i}]`, 1),
    );
    return {
      name,
      dtype: dtype as DType,
      shape,
      offset: expectSafeInteger(tensor.offset, `${at}.offset`, 0),
      length: expectSafeInteger(tensor.length, `${at}.length`, 0),
      path: at,
    };
  });
}

/** §7: only `trained` is required; the listed keys must have their listed types, anything else is free-form. */
function validateMetadata(value: unknown, path: string): Record<string, unknown> {
  const metadata = expectObject(value, path);
  expectKeys(metadata, path, ['trained'], null);
  expectBoolean(metadata.trained, `${path}.trained`);
  const optional = (key: string, check: (v: unknown, at: string) => unknown) => {
    if (metadata[key] !== undefined) check(metadata[key], `${path}.${key}`);
  };
  for (const key of ['architecture', 'dataset', 'deltaRule', 'producer', 'created']) optional(key, expectString);
  optional('weightMode', (v, at) => expectOneOf(v, at, ['ternary', 'binary', 'float'] as const));
  optional('granularity', (v, at) => expectOneOf(v, at, ['per-layer', 'per-channel'] as const));
  optional('fullPrecisionLayers', (v, at) => expectStringArray(v, at));
  optional('recipe', expectObject);
  optional('width', (v, at) => {
    if (!(expectFiniteNumber(v, at) > 0)) fail(at, `width is a channel multiplier > 0, got ${String(v)}`);
  });
  optional('accuracy', validateAccuracy);
  optional('int16', validateInt16);
  return metadata;
}

/** An `accuracy` object (§7), in `metadata` and in `metadata.int16`: the listed keys typed, others free-form. */
function validateAccuracy(value: unknown, path: string): Int16Metadata['accuracy'] {
  const accuracy = expectObject(value, path);
  if (accuracy.top1 !== undefined) {
    const top1 = expectFiniteNumber(accuracy.top1, `${path}.top1`);
    if (top1 < 0 || top1 > 1) fail(`${path}.top1`, `top1 is a fraction in [0, 1], got ${top1}`);
  }
  if (accuracy.split !== undefined) expectString(accuracy.split, `${path}.split`);
  if (accuracy.note !== undefined) expectString(accuracy.note, `${path}.note`);
  if (accuracy.images !== undefined) expectSafeInteger(accuracy.images, `${path}.images`, 0);
  return accuracy as Int16Metadata['accuracy'];
}

/** `metadata.int16` (§7.1) as the runtime reads it: types and ranges checked, ranges keyed by node name. */
export interface Int16Metadata {
  /** Codes q ∈ [−qmax, qmax], qmax = 2^(bits−1) − 1. */
  readonly bits: number;
  /** Node name of a ternary conv2d/dense → the range r of the activations entering it. */
  readonly inputRanges: ReadonlyMap<string, number>;
  readonly calibration?: Readonly<{ dataset?: string; split?: string; images?: number; statistic?: string }>;
  readonly accuracy?: Readonly<{ top1?: number; split?: string; images?: number; note?: string }>;
}

export const INT16_BITS = { min: 2, max: 15 } as const;
/**
 * Bounds on a calibrated range r. Within them s = qmax/r and r/qmax are normal float32 numbers for every `bits`,
 * so neither the quantiser nor the epilogue can overflow to ∞ or lose precision to subnormals.
 */
export const INT16_RANGE = { min: 1e-30, max: 1e30 } as const;

/** Checks `metadata.int16` (§7.1) at `path`; which nodes it names is the graph's check (src/graph/int16.ts). */
export function validateInt16(value: unknown, path: string): Int16Metadata {
  const int16 = expectObject(value, path);
  expectKeys(int16, path, ['bits', 'inputRanges'], ['calibration', 'accuracy']);
  const bits = expectSafeInteger(int16.bits, `${path}.bits`, INT16_BITS.min, INT16_BITS.max);
  const rangesPath = `${path}.inputRanges`;
  const inputRanges = new Map(
    Object.entries(expectObject(int16.inputRanges, rangesPath)).map(([name, range]) => {
      const at = `${rangesPath}${member(name)}`;
      if (name === '') fail(at, 'node names are non-empty');
      const r = expectFiniteNumber(range, at);
      if (!(r >= INT16_RANGE.min && r <= INT16_RANGE.max)) {
        fail(at, `a range is a number in ${INT16_RANGE.min}…${INT16_RANGE.max}, got ${r}`);
      }
      return [name, r] as const;
    }),
  );
  let calibration: Int16Metadata['calibration'];
  if (int16.calibration !== undefined) {
    const at = `${path}.calibration`;
    const provenance = expectObject(int16.calibration, at);
    for (const key of ['dataset', 'split', 'statistic']) {
      if (provenance[key] !== undefined) expectString(provenance[key], `${at}.${key}`);
    }
    if (provenance.images !== undefined) expectSafeInteger(provenance.images, `${at}.images`, 0);
    calibration = provenance;
  }
  const accuracy = int16.accuracy === undefined ? undefined : validateAccuracy(int16.accuracy, `${path}.accuracy`);
  return { bits, inputRanges, calibration, accuracy };
}

// ---- primitive checks -------------------------------------------------------------------------------------------

function fail(path: string, message: string): never {
  throw new TwnFormatError('SCHEMA', message, { path });
}

/** `.key` for identifier-like keys, `["key"]` otherwise, so a path can be pasted into JavaScript. */
export function member(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, `expected an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Every `required` key is present; with `optional` given (null = any), no other key is. */
function expectKeys(object: Record<string, unknown>, path: string, required: readonly string[], optional: readonly string[] | null = []): void {
  for (const key of required) if (!Object.hasOwn(object, key)) fail(`${path}${member(key)}`, `missing key "${key}"`);
  if (optional === null) return;
  for (const key of Object.keys(object)) {
    if (!required.includes(key) && !optional.includes(key)) fail(`${path}${member(key)}`, `unknown key "${key}"`);
  }
}

function expectArray(value: unknown, path: string, minLength = 0, maxLength = Infinity): unknown[] {
  if (!Array.isArray(value)) fail(path, `expected an array, got ${describe(value)}`);
  if (value.length < minLength || value.length > maxLength) {
    const range = minLength === maxLength ? `${minLength}` : maxLength === Infinity ? `at least ${minLength}` : `${minLength}…${maxLength}`;
    fail(path, `expected ${range} entries, got ${value.length}`);
  }
  return value;
}

/** A declared limit (docs/FORMAT.md §8), checked before any entry is looked at. */
function expectCountWithin<T>(
  items: T[],
  limit: number,
  code: 'TOO_MANY_NODES' | 'TOO_MANY_TENSORS',
  path: string,
): T[] {
  if (items.length > limit) {
    const what = code === 'TOO_MANY_NODES' ? 'nodes' : 'tensors';
    throw new TwnFormatError(code, `${items.length} ${what}, more than the limit of ${limit}`, { path });
  }
  return items;
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

function expectName(value: unknown, path: string): string {
  const name = expectString(value, path);
  if (name === '') fail(path, 'names are non-empty');
  return name;
}

function expectStringArray(value: unknown, path: string, minLength = 0): string[] {
  return expectArray(value, path, minLength).map((item, i) => expectString(item, `${path}[${i}]`));
}

function expectBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, `expected a boolean, got ${describe(value)}`);
  return value;
}

function expectFiniteNumber(value: unknown, path: string): number {
  // JSON.parse turns 1e999 into Infinity, so finiteness needs checking even though JSON has no NaN.
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, `expected a finite number, got ${describe(value)}`);
  return value;
}

function expectSafeInteger(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(path, `expected an integer in ${min}…${max}, got ${describe(value)}`);
  }
  return value;
}

function expectOneOf<const T extends readonly string[]>(value: unknown, path: string, options: T): T[number] {
  if (typeof value !== 'string' || !options.includes(value)) fail(path, `expected one of ${options.map((o) => `"${o}"`).join(', ')}, got ${describe(value)}`);
  return value as T[number];
}
