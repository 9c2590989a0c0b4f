import { TwnInputError } from '../errors.js';
import { TwnAbortError } from './errors.js';
import { readModelSource, type ReadSourceOptions } from './source.js';

/**
 * How `loadModel` keeps downloaded model files in the browser's Cache API (persistent across visits):
 * - 'revalidate': keep a copy; each load asks the server with If-None-Match / If-Modified-Since, so an unchanged file
 *   costs one empty 304 answer and a changed one is downloaded again (and replaces the copy);
 * - 'reuse': keep a copy and load it without asking (no request at all): for URLs whose content never changes, or
 *   offline use.
 * Without the option nothing is stored. Where there is no Cache API (Node, insecure origins) it is ignored.
 * Stored bytes pass the same full validation (CRC-32 included) as downloaded ones.
 */
export type PersistentCacheMode = 'revalidate' | 'reuse';

export interface CacheOptions {
  persistentCache?: PersistentCacheMode;
}

/** One Cache API cache for every model, so `clearModelCache` removes them all. */
export const MODEL_CACHE_NAME = 'twn-webgpu-models';

/** A model read through the cache, and how to drop the stored copy should it fail validation. */
export interface CachedBytes {
  readonly bytes: Uint8Array;
  /** Set when the bytes came from the stored copy. */
  readonly evict?: () => Promise<void>;
}

export function cacheAvailable(): boolean {
  return typeof caches !== 'undefined';
}

/** Deletes every stored model; resolves true when there was anything to delete. */
export async function clearModelCache(): Promise<boolean> {
  return cacheAvailable() ? caches.delete(MODEL_CACHE_NAME) : false;
}

export async function readThroughCache(
  url: string | URL,
  mode: PersistentCacheMode,
  options: ReadSourceOptions,
): Promise<CachedBytes> {
  const key = new URL(url, globalThis.location?.href).href;
  const cache = await caches.open(MODEL_CACHE_NAME);
  const stored = await cache.match(key);
  const evict = async () => void (await cache.delete(key));
  if (stored && mode === 'reuse') return { bytes: await readModelSource(stored, options), evict };
  const response = await fetchRevalidating(key, stored, options.signal);
  if (stored && response.status === 304) {
    void response.body?.cancel().catch(() => undefined);
    return { bytes: await readModelSource(stored, options), evict };
  }
  const bytes = await readModelSource(response, options);
  // Only what identifies this version travels with the copy: the validators for the next conditional request.
  const headers = new Headers({ 'content-type': 'application/octet-stream' });
  for (const name of ['etag', 'last-modified']) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  // A full disk or a private window's quota must not fail a load whose bytes are already here.
  await cache.put(key, new Response(bytes.slice(), { headers })).catch(() => undefined);
  return { bytes };
}

async function fetchRevalidating(key: string, stored: Response | undefined, signal?: AbortSignal): Promise<Response> {
  const headers = new Headers();
  const etag = stored?.headers.get('etag');
  const lastModified = stored?.headers.get('last-modified');
  if (etag) headers.set('if-none-match', etag);
  if (lastModified) headers.set('if-modified-since', lastModified);
  try {
    // no-store: the HTTP cache must neither answer for the server nor keep a second copy.
    return await fetch(key, { headers, signal, cache: 'no-store' });
  } catch (error) {
    if (signal?.aborted) throw new TwnAbortError(signal.reason);
    throw new TwnInputError('FETCH_FAILED', `could not fetch ${key}: ${(error as Error).message}`);
  }
}
