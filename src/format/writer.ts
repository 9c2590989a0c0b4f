/**
 * `.twn` writer (docs/FORMAT.md §1): deterministic bytes for a given TwnFile. Keys are written in a fixed order,
 * tensors in the Map's order at 64-byte aligned offsets with zero gaps, and the header is padded with spaces so the
 * data section starts right after it.
 */
import type { Tensor } from '../graph/ir.js';
import { crc32 } from './crc32.js';
import { PREAMBLE_BYTES, readTwnFile } from './reader.js';
import { DATA_ALIGNMENT, TWN_MAGIC, TWN_VERSION, type TwnFile } from './types.js';

const SPACE = 0x20;

/**
 * Serialises `file`. The result is read back before it is returned, so a file the reader would reject (bad shapes,
 * non-finite values, invalid codes, header schema) throws its TwnFormatError here instead of being emitted.
 * Throws TypeError when a tensor's data array does not match its dtype.
 */
export function writeTwnFile(file: TwnFile): Uint8Array {
  const layout = layOutTensors(file.tensors);
  const dataLength = layout.length === 0 ? 0 : layout[layout.length - 1]!.offset + layout[layout.length - 1]!.length;
  const data = new Uint8Array(dataLength);
  const dataView = new DataView(data.buffer);
  for (const { tensor, offset } of layout) {
    const values = tensor.data;
    if (values instanceof Float32Array) for (let i = 0; i < values.length; i++) dataView.setFloat32(offset + 4 * i, values[i]!, true);
    else for (let i = 0; i < values.length; i++) dataView.setUint32(offset + 4 * i, values[i]!, true);
  }

  const json = new TextEncoder().encode(
    JSON.stringify({
      input: {
        name: file.input.name,
        shape: file.input.shape,
        colorLayout: file.input.colorLayout,
        mean: file.input.mean,
        std: file.input.std,
        labels: file.input.labels,
      },
      outputs: file.outputs,
      nodes: file.nodes.map(({ name, op, inputs, outputs, attrs, params }) => ({ name, op, inputs, outputs, attrs, params })),
      tensors: Object.fromEntries(
        layout.map(({ name, tensor, offset, length }) => [name, { dtype: tensor.dtype, shape: tensor.shape, offset, length }]),
      ),
      dataLength,
      dataCrc32: crc32(data),
      metadata: file.metadata,
    }),
  );
  const dataStart = alignUp(PREAMBLE_BYTES + json.length);
  const bytes = new Uint8Array(dataStart + dataLength);
  const view = new DataView(bytes.buffer);
  bytes.set(TWN_MAGIC, 0);
  view.setUint32(4, TWN_VERSION, true);
  view.setUint32(8, dataStart - PREAMBLE_BYTES, true);
  bytes.set(json, PREAMBLE_BYTES);
  bytes.fill(SPACE, PREAMBLE_BYTES + json.length, dataStart);
  bytes.set(data, dataStart);

  readTwnFile(bytes);
  return bytes;
}

interface PlacedTensor {
  readonly name: string;
  readonly tensor: Tensor;
  readonly offset: number;
  readonly length: number;
}

function layOutTensors(tensors: ReadonlyMap<string, Tensor>): PlacedTensor[] {
  const placed: PlacedTensor[] = [];
  let end = 0;
  for (const [name, tensor] of tensors) {
    const expected = tensor.dtype === 'f32' ? Float32Array : Uint32Array;
    if (!(tensor.data instanceof expected)) throw new TypeError(`tensor "${name}" is ${tensor.dtype}, its data must be a ${expected.name}`);
    const offset = alignUp(end);
    placed.push({ name, tensor, offset, length: tensor.data.byteLength });
    end = offset + tensor.data.byteLength;
  }
  return placed;
}

function alignUp(n: number): number {
  return Math.ceil(n / DATA_ALIGNMENT) * DATA_ALIGNMENT;
}
