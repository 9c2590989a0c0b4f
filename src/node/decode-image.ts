import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { inflateSync } from 'node:zlib';
import { TwnInputError } from '../errors.js';
import { checkPixelCount, MAX_IMAGE_PIXELS, type ImageDataLike } from '../api/preprocess.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/**
 * Decodes a PNG or JPEG (recognised by its signature, not its name) to RGBA pixels, in Node, with the bundled
 * pure-JavaScript decoders. Bad or oversized images fail with TwnInputError (IMAGE_DECODE_FAILED, IMAGE_TOO_LARGE).
 */
export function decodeImage(bytes: Uint8Array): ImageDataLike {
  const startsWith = (signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  try {
    if (startsWith(PNG_SIGNATURE)) {
      checkPngSize(bytes);
      checkPngImageData(bytes);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    if (startsWith(JPEG_SIGNATURE)) {
      const options = { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 } as const;
      return jpeg.decode(bytes, options);
    }
  } catch (error) {
    if (error instanceof TwnInputError) throw error;
    if (/maxResolutionInMP/.test(String(error))) {
      throw new TwnInputError(
        'IMAGE_TOO_LARGE',
        `the JPEG is larger than the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit`,
      );
    }
    throw new TwnInputError('IMAGE_DECODE_FAILED', `cannot decode image: ${(error as Error).message}`);
  }
  throw new TwnInputError('IMAGE_DECODE_FAILED', 'not a PNG or JPEG image');
}

/**
 * pngjs allocates width × height × 4 bytes from the header and zero-fills what the data does not cover, so a 100-byte
 * file could claim 20000×20000 and take gigabytes and seconds. The IHDR chunk comes first (bytes 8–32).
 */
function checkPngSize(bytes: Uint8Array): void {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return; // pngjs reports it
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkPixelCount(view.getUint32(16), view.getUint32(20));
}

const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7: each pass's first column and row, and its column and row steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * pngjs fills the pixels that the compressed data does not cover with zeros, so a PNG with no or too little image
 * data would decode to a black picture and be classified as one. The IDAT chunks must inflate to exactly the rows the
 * header describes.
 */
function checkPngImageData(bytes: Uint8Array): void {
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return; // pngjs reports it
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data: Uint8Array[] = [];
  for (let offset = 8; offset + 8 <= bytes.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (type === 'IDAT') data.push(bytes.subarray(offset + 8, offset + 8 + length));
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (data.length === 0) throw new TwnInputError('IMAGE_DECODE_FAILED', 'the PNG has no image data (no IDAT chunk)');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitsPerPixel = bytes[24]! * (PNG_CHANNELS[bytes[25]!] ?? 0);
  const rowBytes = (columns: number) => (columns === 0 ? 0 : 1 + Math.ceil((columns * bitsPerPixel) / 8));
  const passes: (readonly [number, number, number, number])[] = bytes[28] === 1 ? [...ADAM7] : [[0, 0, 1, 1]];
  const expected = passes.reduce((sum, [column, row, columnStep, rowStep]) => {
    const columns = Math.ceil(Math.max(0, width - column) / columnStep);
    const rows = Math.ceil(Math.max(0, height - row) / rowStep);
    return sum + (columns === 0 ? 0 : rows * rowBytes(columns));
  }, 0);
  let inflated: number;
  try {
    inflated = inflateSync(Buffer.concat(data), { maxOutputLength: expected + 1 }).length;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') {
      throw new TwnInputError('IMAGE_DECODE_FAILED', `the PNG's image data is damaged: ${(error as Error).message}`);
    }
    inflated = expected + 1;
  }
  if (inflated !== expected) {
    const what = inflated < expected ? 'short of' : 'more than';
    throw new TwnInputError('IMAGE_DECODE_FAILED', `the PNG's image data is ${what} its ${width}×${height} pixels`);
  }
}
