import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { ImageDataLike } from '../api/preprocess.js';
import { CliError } from './errors.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** Decodes a PNG or JPEG (recognised by its signature, not its name) to RGBA pixels. */
export function decodeImage(bytes: Uint8Array, name: string): ImageDataLike {
  const startsWith = (signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  try {
    if (startsWith(PNG_SIGNATURE)) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: png.data };
    }
    if (startsWith(JPEG_SIGNATURE)) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (error) {
    throw new CliError(`${name}: cannot decode image: ${(error as Error).message}`);
  }
  throw new CliError(`${name}: not a PNG or JPEG image`);
}
