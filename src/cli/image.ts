import type { ImageDataLike } from '../api/preprocess.js';
import { TwnInputError } from '../errors.js';
import { decodeImage as decodeImageBytes } from '../node/decode-image.js';

/** Decodes a PNG or JPEG to RGBA pixels (the library's Node decoder); errors name the file. */
export function decodeImage(bytes: Uint8Array, name: string): ImageDataLike {
  try {
    return decodeImageBytes(bytes);
  } catch (error) {
    // Still the typed error, with its code, and the file named.
    if (error instanceof TwnInputError) error.message = `${name}: ${error.message}`;
    throw error;
  }
}
