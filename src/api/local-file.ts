import { TwnInputError } from '../errors.js';
import { throwIfAborted } from './errors.js';
import { DEFAULT_MAX_MODEL_BYTES } from './source.js';

/** Schemes `loadModel` fetches; in Node any other string is a file path (a Windows drive letter parses as a scheme). */
const FETCHED_SCHEMES = new Set(['http:', 'https:', 'data:', 'blob:']);

function isNode(): boolean {
  return (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== undefined;
}

/**
 * In Node, a `file:` URL or a string that is not an http(s)/data/blob URL names a local file: './model.twn' (from the
 * working directory), an absolute path, or 'file:///…'. In browsers every string is a URL to fetch.
 */
export function isLocalFile(source: unknown): source is string | URL {
  if (!isNode()) return false;
  if (source instanceof URL) return source.protocol === 'file:';
  if (typeof source !== 'string') return false;
  if (!URL.canParse(source)) return true;
  const { protocol } = new URL(source);
  return protocol === 'file:' || (!FETCHED_SCHEMES.has(protocol) && protocol.length === 2);
}

/** Reads a model file in Node: a regular file no larger than `maxBytes` (checked before reading). */
export async function readLocalFile(
  source: string | URL,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  throwIfAborted(options.signal);
  // Not imported statically: browser bundles must never see node: modules.
  const fs = (await import(/* @vite-ignore */ NODE_FS)) as typeof import('node:fs/promises');
  const { fileURLToPath } = (await import(/* @vite-ignore */ NODE_URL)) as typeof import('node:url');
  const path = source instanceof URL || source.startsWith('file:') ? fileURLToPath(source) : source;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new TwnInputError('FETCH_FAILED', `could not read ${path}: not a regular file`);
    if (stat.size > maxBytes) {
      throw new TwnInputError('MODEL_TOO_LARGE', `${path} is ${stat.size} bytes, over maxBytes = ${maxBytes}`);
    }
    const bytes = new Uint8Array(await fs.readFile(path, { signal: options.signal }));
    throwIfAborted(options.signal);
    return bytes;
  } catch (error) {
    throwIfAborted(options.signal);
    if (error instanceof TwnInputError) throw error;
    throw new TwnInputError('FETCH_FAILED', `could not read ${path}: ${(error as Error).message}`);
  }
}

const NODE_FS = 'node:fs/promises';
const NODE_URL = 'node:url';
