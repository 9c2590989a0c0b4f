/**
 * The shipped LeNet-5 TWN's ONNX twin, decoded into a plain protobuf message that a test edits (replace a node,
 * an attribute, an initializer) and encodes again: real exporter output with one thing changed.
 */
import { readFileSync } from 'node:fs';
import { ModelProto } from '../../src/convert/onnx-schema.js';

const LENET_ONNX = readFileSync(new URL('../../demo/models/lenet5-twn.onnx', import.meta.url));

const FLOAT = 1;
const INT64 = 7;
export const ATTRIBUTE = { INT: 2, INTS: 7 } as const;

export interface AttributeMessage {
  name: string;
  type: number;
  i?: number;
  ints?: number[];
  f?: number;
}
export interface NodeMessage {
  name: string;
  opType: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}
export interface TensorMessage {
  name: string;
  dims: number[];
  dataType: number;
  floatData?: number[];
  int64Data?: number[];
  rawData?: Uint8Array;
}
export interface ModelMessage {
  graph: { node: NodeMessage[]; initializer: TensorMessage[] };
}

/** LeNet-5's ONNX bytes after `edit` has changed its decoded message. */
export function editedLeNet(edit: (model: ModelMessage) => void): Uint8Array {
  const message = ModelProto.toObject(ModelProto.decode(LENET_ONNX), { longs: Number }) as ModelMessage;
  edit(message);
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

export function nodeNamed(model: ModelMessage, name: string): NodeMessage {
  const node = model.graph.node.find((candidate) => candidate.name === name);
  if (node === undefined) throw new Error(`no node ${name}`);
  return node;
}

export function initializerNamed(model: ModelMessage, name: string): TensorMessage {
  const tensor = model.graph.initializer.find((candidate) => candidate.name === name);
  if (tensor === undefined) throw new Error(`no initializer ${name}`);
  return tensor;
}

/** float32 values of an initializer (the exporter writes raw little-endian bytes). */
export function floatValues(tensor: TensorMessage): Float32Array {
  if (tensor.rawData !== undefined && tensor.rawData.length > 0) {
    const raw = tensor.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(tensor.floatData ?? []);
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorMessage {
  return { name, dims, dataType: FLOAT, floatData: Array.from(values), rawData: new Uint8Array(0) };
}

export function int64Tensor(name: string, values: number[]): TensorMessage {
  return { name, dims: [values.length], dataType: INT64, int64Data: values };
}

export function node(
  name: string,
  opType: string,
  input: string[],
  output: string[],
  attribute: AttributeMessage[] = [],
): NodeMessage {
  return { name, opType, input, output, attribute };
}
