/**
 * Reads an ONNX model (a protobuf `onnx.ModelProto`) with protobufjs through the schema of onnx-schema.ts, into
 * plain structures: constant tensors as float64 arrays, attributes as numbers, strings, lists or tensors.
 */
import { TwnConvertError } from '../errors.js';
import { ModelProto } from './onnx-schema.js';

/** protobufjs yields int64 as a `Long` (from the long package it depends on) or, without it, as a number. */
type Int64 = number | { toNumber(): number };

interface TensorProto {
  dims: Int64[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: Int64[];
  name: string;
  rawData: Uint8Array;
  doubleData: number[];
  dataLocation: number;
}
interface AttributeProto {
  name: string;
  f: number;
  i: Int64;
  s: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: Int64[];
  type: number;
}
interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeProto[];
  domain: string;
}
interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: { dimValue: Int64; dimParam: string }[] } } };
}
interface ModelProtoMessage {
  irVersion: Int64;
  producerName: string;
  producerVersion: string;
  /** null when absent (protobufjs' default for a message field). */
  graph: {
    node: NodeProto[];
    name: string;
    initializer: TensorProto[];
    input: ValueInfoProto[];
    output: ValueInfoProto[];
  } | null;
  opsetImport: { domain: string; version: Int64 }[];
}

/** A constant tensor: dims and values in row-major order (float64 holds every float32 and int32 exactly). */
export interface OnnxTensor {
  readonly dims: readonly number[];
  readonly data: Float64Array;
  /** ONNX element type: 1 float32, 6 int32, 7 int64, 11 float64. */
  readonly dataType: number;
}

export type OnnxAttribute = number | string | readonly number[] | OnnxTensor;

export interface OnnxNode {
  /** The node's name, or `<opType>#<index>` when the model leaves it empty. */
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

export interface OnnxValueInfo {
  readonly name: string;
  /** Known sizes as numbers, symbolic ones (e.g. "batch") as strings, unknown ones as undefined. */
  readonly dims: readonly (number | string | undefined)[];
}

export interface OnnxModel {
  readonly producer: string;
  readonly opset: number;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** Graph inputs that are not initializers. */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;
const DOUBLE = 11;
const ELEMENT_BYTES: Readonly<Record<number, number>> = { [FLOAT]: 4, [INT32]: 4, [INT64]: 8, [DOUBLE]: 8 };
const ELEMENT_NAMES: Readonly<Record<number, string>> = {
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  8: 'string',
  9: 'bool',
  10: 'float16',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

/** Decodes `bytes` as an ONNX model. Throws TwnConvertError ONNX_DECODE, UNSUPPORTED_DTYPE or MALFORMED_MODEL. */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  let message: ModelProtoMessage;
  try {
    message = ModelProto.decode(bytes) as unknown as ModelProtoMessage;
  } catch (error) {
    throw new TwnConvertError('ONNX_DECODE', `not an ONNX model: ${(error as Error).message}`);
  }
  const graph = message.graph;
  if (graph === null || graph.node.length === 0) {
    throw new TwnConvertError('ONNX_DECODE', 'not an ONNX model: it has no graph with nodes');
  }
  const initializers = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer) initializers.set(tensor.name, decodeTensor(tensor, tensor.name));
  const defaultOpset = message.opsetImport.find((entry) => entry.domain === '' || entry.domain === 'ai.onnx');
  return {
    producer: [message.producerName, message.producerVersion].filter((part) => part !== '').join(' '),
    opset: defaultOpset === undefined ? 0 : toNumber(defaultOpset.version, 'opset version'),
    graphName: graph.name,
    nodes: graph.node.map((node, index) => decodeNode(node, index)),
    initializers,
    inputs: graph.input.filter((input) => !initializers.has(input.name)).map(decodeValueInfo),
    outputs: graph.output.map(decodeValueInfo),
  };
}

function decodeNode(node: NodeProto, index: number): OnnxNode {
  const name = node.name !== '' ? node.name : `${node.opType}#${index}`;
  const attributes = new Map<string, OnnxAttribute>();
  for (const attribute of node.attribute) attributes.set(attribute.name, decodeAttribute(attribute, name));
  return { name, opType: node.opType, domain: node.domain, inputs: node.input, outputs: node.output, attributes };
}

// AttributeProto.AttributeType values.
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;
const ATTRIBUTE_TENSOR = 4;
const ATTRIBUTE_FLOATS = 6;
const ATTRIBUTE_INTS = 7;

function decodeAttribute(attribute: AttributeProto, node: string): OnnxAttribute {
  switch (attribute.type) {
    case ATTRIBUTE_FLOAT:
      return attribute.f;
    case ATTRIBUTE_INT:
      return toNumber(attribute.i, `attribute ${attribute.name}`, node);
    case ATTRIBUTE_STRING:
      return new TextDecoder().decode(attribute.s);
    case ATTRIBUTE_TENSOR:
      if (attribute.t === undefined) break;
      return decodeTensor(attribute.t, node);
    case ATTRIBUTE_FLOATS:
      return attribute.floats;
    case ATTRIBUTE_INTS:
      return attribute.ints.map((value) => toNumber(value, `attribute ${attribute.name}`, node));
    default:
  }
  // Graphs, sparse tensors, string lists: no supported op takes them, so the op check names the node later.
  return Number.NaN;
}

function decodeValueInfo(info: ValueInfoProto): OnnxValueInfo {
  const dims = info.type?.tensorType?.shape?.dim ?? [];
  return {
    name: info.name,
    dims: dims.map((dim) =>
      dim.dimParam !== '' ? dim.dimParam : isZero(dim.dimValue) ? undefined : toNumber(dim.dimValue, 'dim'),
    ),
  };
}

function decodeTensor(tensor: TensorProto, where: string): OnnxTensor {
  const dims = tensor.dims.map((dim) => toNumber(dim, 'tensor dims', where));
  const count = dims.reduce((a, b) => a * b, 1);
  const type = tensor.dataType;
  if (tensor.dataLocation === 1) {
    throw new TwnConvertError(
      'UNSUPPORTED_DTYPE',
      `tensor "${tensor.name}" keeps its data in an external file; export with the weights inside the .onnx file`,
      { node: where },
    );
  }
  if (ELEMENT_BYTES[type] === undefined) {
    const typeName = ELEMENT_NAMES[type] ?? `type ${type}`;
    throw new TwnConvertError(
      'UNSUPPORTED_DTYPE',
      `tensor "${tensor.name}" holds ${typeName}; only float32, float64, int32 and int64 are read`,
      { node: where },
    );
  }
  // The element count is checked against the bytes the message holds before anything of that size is allocated.
  const raw = tensor.rawData;
  const values: readonly Int64[] =
    type === FLOAT
      ? tensor.floatData
      : type === INT32
        ? tensor.int32Data
        : type === DOUBLE
          ? tensor.doubleData
          : tensor.int64Data;
  const held = raw.length > 0 ? raw.length / ELEMENT_BYTES[type]! : values.length;
  if (held !== count) {
    const what = raw.length > 0 ? `${raw.length} data bytes` : `${values.length} values`;
    throw new TwnConvertError('MALFORMED_MODEL', `tensor "${tensor.name}" has ${what} for dims [${dims.join(', ')}]`, {
      node: where,
    });
  }
  const data = new Float64Array(count);
  if (raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      if (type === FLOAT) data[i] = view.getFloat32(4 * i, true);
      else if (type === INT32) data[i] = view.getInt32(4 * i, true);
      else if (type === DOUBLE) data[i] = view.getFloat64(8 * i, true);
      else data[i] = Number(view.getBigInt64(8 * i, true));
    }
  } else {
    values.forEach((value, i) => (data[i] = typeof value === 'number' ? value : value.toNumber()));
  }
  return { dims, data, dataType: type };
}

function isZero(value: Int64): boolean {
  return (typeof value === 'number' ? value : value.toNumber()) === 0;
}

function toNumber(value: Int64, what: string, node?: string): number {
  const number = typeof value === 'number' ? value : value.toNumber();
  if (!Number.isSafeInteger(number)) {
    throw new TwnConvertError(
      'MALFORMED_MODEL',
      `${what} ${String(value)} is out of range`,
      node === undefined ? {} : { node },
    );
  }
  return number;
}
