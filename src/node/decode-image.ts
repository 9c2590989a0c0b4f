import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
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
      throw new TwnInputError('IMAGE_TOO_LARGE', `the JPEG is larger than the ${MAX_IMAGE_PIXELS / 1e6}-megapixel limit`);
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
