/** The MNIST test split from the gzip'd IDX files the trainer reads (tools/twn/data.py), parsed independently here. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** CI and the trainer keep datasets next to the repository, in ../shared/data. */
export const MNIST_DIR = fileURLToPath(new URL('../../../shared/data/mnist/', import.meta.url));
const IMAGES_FILE = 't10k-images-idx3-ubyte.gz';
const LABELS_FILE = 't10k-labels-idx1-ubyte.gz';
/** IDX magic: 0x00 0x00, type 0x08 (unsigned byte), then the number of dimensions. */
const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;
export const MNIST_TEST_IMAGES = 10_000;
export const MNIST_SIDE = 28;

export interface MnistTestSet {
  readonly count: number;
  /** count × 28 × 28 bytes, row-major, one image after another (NCHW with C = 1). */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

function readIdx(file: string, magic: number, dims: number): { shape: number[]; data: Uint8Array } {
  const bytes = gunzipSync(readFileSync(MNIST_DIR + file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = 4 * (1 + dims);
  if (bytes.length < headerBytes || view.getUint32(0) !== magic) {
    throw new Error(`${file}: not an IDX file with magic ${magic}`);
  }
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 * (1 + i)));
  const data = bytes.subarray(headerBytes);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`${file}: header says [${shape.join(', ')}] = ${expected} bytes, payload is ${data.length}`);
  return { shape, data };
}

export function readMnistTestSet(): MnistTestSet {
  const missing = [IMAGES_FILE, LABELS_FILE].filter((file) => !existsSync(MNIST_DIR + file));
  if (missing.length > 0) {
    throw new Error(`MNIST test set missing: ${missing.map((file) => MNIST_DIR + file).join(', ')} (expected at ../shared/data/mnist next to the repository, as in CI)`);
  }
  const images = readIdx(IMAGES_FILE, IMAGES_MAGIC, 3);
  const labels = readIdx(LABELS_FILE, LABELS_MAGIC, 1);
  const [count = 0, rows, cols] = images.shape;
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) throw new Error(`${IMAGES_FILE}: images are ${rows}×${cols}, not 28×28`);
  if (labels.shape[0] !== count) throw new Error(`${count} images but ${labels.shape[0]} labels`);
  return { count, pixels: images.data, labels: labels.data };
}

/** Images [first, first + count) as [0, 1] pixels (byte/255), in the precision the backend takes. */
export function mnistBatch<T extends Float32Array | Float64Array>(
  set: MnistTestSet,
  first: number,
  count: number,
  ArrayType: { from(bytes: Uint8Array, map: (byte: number) => number): T },
): T {
  const size = MNIST_SIDE * MNIST_SIDE;
  return ArrayType.from(set.pixels.subarray(first * size, (first + count) * size), (byte) => byte / 255);
}
