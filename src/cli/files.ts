import { type FileHandle, open } from 'node:fs/promises';
import { DEFAULT_MAX_MODEL_BYTES } from '../api/source.js';
import { loadModel, TwnInputError, type TwnModel } from '../index.js';
import type { BackendRequest } from '../api/backend.js';
import { CliError } from './errors.js';

/** Far above any photo worth classifying; the decoders' 100-megapixel limit applies after this. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

export interface FileLimit {
  readonly maxBytes: number;
  /** The TwnInputError code for a file over `maxBytes`. */
  readonly code: string;
  /** What the file is, for the message: 'model', 'image'. */
  readonly what: string;
}

const MODEL_LIMIT: FileLimit = { maxBytes: DEFAULT_MAX_MODEL_BYTES, code: 'MODEL_TOO_LARGE', what: 'model' };
export const IMAGE_LIMIT: FileLimit = { maxBytes: MAX_IMAGE_FILE_BYTES, code: 'IMAGE_TOO_LARGE', what: 'image' };

/**
 * Reads a regular file of at most `limit.maxBytes`. The size is checked before reading, and the read stops one byte
 * past the limit whatever the size said: /dev/zero, a pipe or a growing file cannot make it read gigabytes.
 */
export async function readBytes(path: string, limit: FileLimit = MODEL_LIMIT): Promise<Uint8Array> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw cannotRead(path, error);
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new CliError(`cannot read ${path}: not a regular file`);
    const over = `over the ${limit.maxBytes}-byte limit for a ${limit.what} file`;
    const tooLarge = (size: string) => new TwnInputError(limit.code, `${path} is ${size} bytes, ${over}`);
    if (stat.size > limit.maxBytes) throw tooLarge(String(stat.size));
    // Sized by the stat, plus one byte to notice a file longer than it said; grown (to the limit) when it is.
    let buffer = new Uint8Array(Math.min(stat.size, limit.maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit.maxBytes) throw tooLarge(`more than ${limit.maxBytes}`);
        const grown = new Uint8Array(Math.min(2 * length + 65_536, limit.maxBytes + 1));
        grown.set(buffer);
        buffer = grown;
      }
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) return buffer.subarray(0, length);
      length += bytesRead;
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof TwnInputError) throw error;
    throw cannotRead(path, error);
  } finally {
    await file.close();
  }
}

function cannotRead(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
  return new CliError(`cannot read ${path}: ${why}`);
}

/** An http(s) URL, downloaded by loadModel (size limit, idle timeout); anything else is a local path. */
function isUrl(model: string): boolean {
  return /^https?:\/\//i.test(model);
}

/** Format and device errors name the file they came from: one line says what and where. */
export async function loadModelFile(model: string, backend: BackendRequest): Promise<TwnModel> {
  const source = isUrl(model) ? model : await readBytes(model);
  try {
    return await loadModel(source, { backend });
  } catch (error) {
    if (error instanceof Error && !error.message.includes(model)) error.message = `${model}: ${error.message}`;
    throw error;
  }
}
