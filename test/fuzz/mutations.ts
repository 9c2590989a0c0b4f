/**
 * Structure-aware mutations of valid `.twn` files. Header edits keep the preamble's header length and the data CRC
 * consistent (unless the mutation is about them), so most cases get past the layout checks and reach the schema,
 * tensor-table, content and graph checks behind them.
 */
import { crc32 } from '../../src/format/crc32.js';
import { MAX_NODES } from '../../src/format/types.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { assemble, splitFile } from '../format/fixtures.js';
import { parallelReaders, reluChain, sharedWeightBlocks } from './adversarial-graphs.js';

export type Random = () => number;
type Json = unknown;
type JsonObject = Record<string, Json>;

export interface Mutant {
  /** What was done, enough to tell cases apart in a report. */
  readonly description: string;
  readonly bytes: Uint8Array;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, below: number) => Math.floor(random() * below);

/** Values that sit on or across the boundaries the schema and the ops check. */
const INTERESTING: readonly Json[] = [
  0,
  1,
  -1,
  2,
  3,
  4,
  8,
  15,
  16,
  64,
  255,
  1.5,
  -0.5,
  1e-30,
  65536,
  2 ** 26,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  1e308,
  -1e308,
  '',
  'relu',
  'none',
  'f16',
  'ternary2',
  'f32',
  'rgb',
  'gray',
  '__proto__',
  'image',
  true,
  false,
  null,
  [],
  {},
  [0, 0],
  [1, 1],
  [3, 3],
  [15, 15],
  [16, 16],
  [0],
  [1, 2, 3],
  [1, 100000, 100000],
  [3, 32, 32],
  ['a'],
  [2 ** 31, 2 ** 31],
];
const OPS = [
  'conv2d',
  'dense',
  'batchnorm',
  'relu',
  'maxpool',
  'avgpool',
  'global_avgpool',
  'add',
  'flatten',
  'softmax',
  'normalize',
  'gelu',
];

/** Every container and key in the header, so an edit can land anywhere. */
function locations(root: JsonObject): { parent: JsonObject | Json[]; key: string | number }[] {
  const found: { parent: JsonObject | Json[]; key: string | number }[] = [];
  const walk = (value: Json) => {
    if (Array.isArray(value)) value.forEach((item, i) => (found.push({ parent: value, key: i }), walk(item)));
    else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value))
        found.push({ parent: value as JsonObject, key }), walk((value as JsonObject)[key]);
    }
  };
  walk(root);
  return found;
}

/** Names the file already uses: swapping them in makes duplicates, dangling references and cycles. */
function namesIn(json: JsonObject): string[] {
  const names = new Set<string>();
  for (const { parent, key } of locations(json)) {
    const value = (parent as Record<string | number, Json>)[key];
    if (typeof value === 'string' && value.length < 64) names.add(value);
    if (typeof key === 'string') names.add(key);
  }
  return [...names];
}

const isObject = (value: Json): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One structural edit of the parsed header; returns its description. */
function editJson(json: JsonObject, random: Random): string {
  const spots = locations(json);
  const { parent, key } = pick(random, spots);
  const slot = parent as Record<string | number, Json>;
  const at = `${typeof key === 'number' ? `[${key}]` : `.${key}`}`;
  switch (int(random, 8)) {
    case 0:
      slot[key] = structuredClone(pick(random, INTERESTING));
      return `set ${at} to ${JSON.stringify(slot[key])}`;
    case 1:
      slot[key] = pick(random, namesIn(json));
      return `set ${at} to name ${JSON.stringify(slot[key])}`;
    case 2:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete slot[key];
      return `delete ${at}`;
    case 3:
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
      else slot[`${key}#copy`] = structuredClone(slot[key]);
      return `duplicate ${at}`;
    case 4: {
      const value = slot[key];
      if (typeof value === 'number')
        slot[key] = pick(random, [value + 1, value - 1, value * 2, -value, value + 64, value / 2]);
      else slot[key] = Array.isArray(value) ? [...value].reverse() : value;
      return `nudge ${at}`;
    }
    case 5: {
      const nodes = json.nodes;
      if (!Array.isArray(nodes) || nodes.length === 0) return 'no nodes to edit';
      // An earlier edit may have turned the node into a number or null: only objects get an op.
      const node = pick(random, nodes);
      if (!isObject(node)) return 'no node object to edit';
      node.op = pick(random, OPS);
      return `op of a node → ${String(node.op)}`;
    }
    case 6: {
      const nodes = json.nodes;
      if (!Array.isArray(nodes)) return 'no nodes to shuffle';
      for (let i = nodes.length - 1; i > 0; i--) {
        const j = int(random, i + 1);
        [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
      }
      return 'shuffle nodes';
    }
    default: {
      // A node reads a value produced after it: a cycle when that value depends on this node.
      const nodes = json.nodes;
      if (!Array.isArray(nodes) || nodes.length < 2) return 'no nodes to loop';
      const i = int(random, nodes.length - 1);
      const node = nodes[i];
      const later = nodes[i + 1 + int(random, nodes.length - i - 1)];
      if (!isObject(node) || !isObject(later)) return 'no node objects to loop';
      const inputs = node.inputs;
      const outputs = later.outputs;
      if (Array.isArray(inputs) && Array.isArray(outputs) && inputs.length > 0) inputs[0] = outputs[0];
      return 'a node reads a later value';
    }
  }
}

/** Header text edits JSON.stringify cannot make: duplicate keys, whitespace, number spellings, a BOM, deep nesting. */
function editText(text: string, random: Random): { text: string; description: string } {
  const spots = [...text.matchAll(/[{,]"(\w+)":/g)];
  const spot = spots.length > 0 ? pick(random, spots) : undefined;
  switch (int(random, 6)) {
    case 0: {
      if (spot === undefined) return { text, description: 'no key to duplicate' };
      const value = pick(random, ['0', '1', '"x"', '[]', '{}', 'null']);
      const at = spot.index! + 1;
      return {
        text: `${text.slice(0, at)}"${spot[1]}":${value},${text.slice(at)}`,
        description: `duplicate key "${spot[1]}"`,
      };
    }
    case 1: {
      const at = spot === undefined ? 1 : spot.index! + 1;
      const ws = pick(random, [' ', '\t', '\n', '\r\n', '\u00a0', '\u2028']);
      return {
        text: text.slice(0, at) + ws + text.slice(at),
        description: `whitespace ${JSON.stringify(ws)} in the header`,
      };
    }
    case 2: {
      const numbers = [...text.matchAll(/:(\d+)([,}\]])/g)];
      if (numbers.length === 0) return { text, description: 'no number to respell' };
      const number = pick(random, numbers);
      const spelled = pick(random, [
        `${number[1]}.0`,
        `${Number(number[1]) / 10}e1`,
        `-0`,
        `0${number[1]}`,
        `${number[1]}e0`,
      ]);
      const at = number.index! + 1;
      return {
        text: text.slice(0, at) + spelled + text.slice(at + number[1]!.length),
        description: `number ${number[1]} spelled ${spelled}`,
      };
    }
    case 3:
      return { text: `\ufeff${text}`, description: 'byte-order mark' };
    case 4: {
      const depth = pick(random, [63, 64, 65, 5000]);
      const nested = '['.repeat(depth) + ']'.repeat(depth);
      return {
        text: text.replace('"metadata":{', `"metadata":{"deep":${nested},`),
        description: `metadata nested ${depth} deep`,
      };
    }
    default:
      return { text: text.slice(0, int(random, text.length)), description: 'header text cut short' };
  }
}

/** Header JSON edited 1–3 times; the data section and its CRC stay valid, the header length is re-fixed. */
export function mutateHeader(bytes: Uint8Array, random: Random): Mutant {
  const { header, data } = splitFile(bytes);
  const json = JSON.parse(header) as JsonObject;
  const edits = Array.from({ length: 1 + int(random, 3) }, () => editJson(json, random));
  return { description: `header: ${edits.join('; ')}`, bytes: assemble(JSON.stringify(json), data) };
}

export function mutateHeaderText(bytes: Uint8Array, random: Random): Mutant {
  const { header, data } = splitFile(bytes);
  const { text, description } = editText(header, random);
  return { description: `header text: ${description}`, bytes: assemble(text, data) };
}

/** Random bytes anywhere; the CRC is left stale, so most of these stop at the layout or the checksum. */
export function mutateBytes(bytes: Uint8Array, random: Random): Mutant {
  const copy = bytes.slice();
  const count = 1 + int(random, 8);
  for (let i = 0; i < count; i++) {
    const at = random() < 0.3 ? int(random, Math.min(copy.length, 64)) : int(random, copy.length);
    copy[at] = random() < 0.5 ? copy[at]! ^ (1 << int(random, 8)) : int(random, 256);
  }
  return { description: `${count} random bytes`, bytes: copy };
}

/** Data section words overwritten (codes 3, NaN, ∞, noise) and the CRC fixed, so the content checks decide. */
export function mutateData(bytes: Uint8Array, random: Random): Mutant {
  const { header, data } = splitFile(bytes);
  if (data.length < 4) return mutateBytes(bytes, random);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const word = pick(random, [0xffffffff, 0x7fc00000, 0x7f800000, 0xff800000, 0x00000003, int(random, 2 ** 32)]);
  const at = 4 * int(random, data.length / 4);
  view.setUint32(at, word, true);
  const json = JSON.parse(header) as JsonObject;
  json.dataCrc32 = crc32(data);
  return {
    description: `data word at ${at} = 0x${word.toString(16)}, CRC fixed`,
    bytes: assemble(JSON.stringify(json), data),
  };
}

export function truncateOrExtend(bytes: Uint8Array, random: Random): Mutant {
  if (random() < 0.7) {
    const length = random() < 0.3 ? int(random, 80) : int(random, bytes.length);
    return { description: `truncated to ${length} bytes`, bytes: bytes.slice(0, length) };
  }
  const extra = 1 + int(random, 128);
  const longer = new Uint8Array(bytes.length + extra);
  longer.set(bytes);
  return { description: `${extra} bytes appended`, bytes: longer };
}

/** Generated graphs of random size, up to just past MAX_NODES, and cyclic or stored backwards. */
export function adversarialGraph(random: Random): Mutant {
  const size = random() < 0.2 ? MAX_NODES - 2 + int(random, 6) : 1 + int(random, 4000);
  const kind = int(random, 5);
  const cyclic = kind === 3;
  const file =
    kind === 0
      ? parallelReaders(Math.ceil(size / 2))
      : kind === 1
        ? sharedWeightBlocks(Math.ceil(size / 3))
        : reluChain(Math.max(size, 2), { cyclic, reversed: kind === 4 });
  const kinds = ['parallel readers', 'shared-weight blocks', 'chain', 'cyclic chain', 'reversed chain'];
  const description = `${kinds[kind]}, ${file.nodes.length} nodes`;
  // The writer reads its output back, so graphs it must refuse (too many nodes) go in through a header edit; the
  // reader checks no graph semantics, so one node may stand in while the tensors are written.
  const stub = { ...file, nodes: [file.nodes[0]!], outputs: [file.nodes[0]!.outputs[0]!] };
  const { header, data } = splitFile(writeTwnFile(stub));
  const json = JSON.parse(header) as JsonObject;
  json.nodes = file.nodes;
  json.outputs = file.outputs;
  return { description, bytes: assemble(JSON.stringify(json), data) };
}
