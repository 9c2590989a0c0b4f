import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageDataLike } from '../api/preprocess.js';
import { CliError } from './errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
/** jpeg-js's own default limit (maxResolutionInMP), applied to PNG too. */
const MAX_PIXELS = 100e6;

/** Decodes a PNG or JPEG (recognised by its signature, not its name) to RGBA pixels. */
export function decodeImage(bytes: Uint8Array, name: string): ImageDataLike {
  const startsWith = (signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  try {
    if (startsWith(PNG_SIGNATURE)) {
      checkPngSize(bytes, name);
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    if (startsWith(JPEG_SIGNATURE)) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${name}: cannot decode image: ${(error as Error).message}`);
  }
  throw new CliError(`${name}: not a PNG or JPEG image`);
}

/**
 * pngjs allocates width × height × 4 bytes from the header and zero-fills what the data does not cover, so a 100-byte
 * file could claim 20000×20000 and take gigabytes and seconds. The IHDR chunk comes first (bytes 8–32).
 */
function checkPngSize(bytes: Uint8Array, name: string): void {
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return; // pngjs reports it
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width * height > MAX_PIXELS) throw new CliError(`${name}: ${width}×${height} pixels is more than the ${MAX_PIXELS / 1e6}-megapixel limit`);
}
