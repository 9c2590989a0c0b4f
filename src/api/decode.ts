import { TwnInputError } from '../errors.js';
import { ACCEPTED_INPUTS, checkPixelCount, type EncodedImage, type ImageDataLike } from './preprocess.js';

/** Turns PNG/JPEG file bytes into RGBA pixels (Node: `decodeImage` from `twn-webgpu/node`). */
export type ImageDecoder = (bytes: Uint8Array) => ImageDataLike | Promise<ImageDataLike>;

/**
 * Copies encoded bytes at once, so a caller writing into its buffer after `classify()` returns its promise cannot
 * change what that call sees. A Blob is immutable already.
 */
export function snapshotEncoded(image: EncodedImage): Uint8Array | Blob {
  if (image instanceof Uint8Array) return image.slice();
  if (image instanceof ArrayBuffer) return new Uint8Array(image.slice(0));
  return image;
}

/**
 * Decodes with the model's `imageDecoder` where one was given, else natively with `createImageBitmap` (browsers and
 * workers). The caller closes a returned ImageBitmap.
 */
export async function decodeEncoded(
  image: Uint8Array | Blob,
  decoder: ImageDecoder | undefined,
): Promise<ImageDataLike | ImageBitmap> {
  if (decoder) {
    const bytes = image instanceof Uint8Array ? image : new Uint8Array(await image.arrayBuffer());
    return decoder(bytes);
  }
  if (typeof createImageBitmap === 'undefined') {
    throw new TwnInputError(
      'NO_IMAGE_DECODER',
      "no image decoder here for PNG/JPEG bytes: in Node import loadModel from 'twn-webgpu/node'. classify() takes " +
        ACCEPTED_INPUTS,
    );
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(image instanceof Blob ? image : new Blob([image as Uint8Array<ArrayBuffer>]));
  } catch (error) {
    throw new TwnInputError('IMAGE_DECODE_FAILED', `cannot decode the image bytes: ${(error as Error).message}`);
  }
  try {
    checkPixelCount(bitmap.width, bitmap.height);
  } catch (error) {
    bitmap.close();
    throw error;
  }
  return bitmap;
}
