import { readFile } from 'node:fs/promises';
import { loadModel, type TwnModel } from '../index.js';
import type { BackendRequest } from '../api/backend.js';
import { CliError } from './errors.js';

export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new CliError(`cannot read ${path}: ${why}`);
  }
}

/** Format and device errors name the file they came from: one line says what and where. */
export async function loadModelFile(path: string, backend: BackendRequest): Promise<TwnModel> {
  const bytes = await readBytes(path);
  try {
    return await loadModel(bytes, { backend });
  } catch (error) {
    if (error instanceof Error) error.message = `${path}: ${error.message}`;
    throw error;
  }
}
