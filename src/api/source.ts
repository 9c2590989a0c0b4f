import { TwnInputError } from '../errors.js';
import { TwnAbortError, throwIfAborted } from './errors.js';

/** Where a model's bytes come from: a URL to fetch, a fetch `Response`, or bytes already in memory. */
export type ModelSource = string | URL | Response | ArrayBuffer | Uint8Array;

/**
 * The largest download `loadModel` accepts unless told otherwise: far above any TWN (a ternary ResNet-18 is 3 MiB, an
 * fp32 one 45 MiB), far below what would exhaust a tab's memory.
 */
export const DEFAULT_MAX_MODEL_BYTES = 256 * 1024 * 1024;

export interface ReadSourceOptions {
  /** Called as download chunks arrive; `totalBytes` comes from Content-Length and is undefined when unknown. */
  onProgress?: (loadedBytes: number, totalBytes: number | undefined) => void;
  signal?: AbortSignal;
  /**
   * A download (URL or Response) larger than this fails with MODEL_TOO_LARGE: at once when Content-Length says so,
   * otherwise as soon as the bytes received pass it. Default DEFAULT_MAX_MODEL_BYTES (256 MiB).
   */
  maxBytes?: number;
}

export async function readModelSource(source: ModelSource, options: ReadSourceOptions = {}): Promise<Uint8Array> {
  throwIfAborted(options.signal);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string' || source instanceof URL) return readResponse(await fetchModel(source, options.signal), options);
  if (isResponse(source)) return readResponse(source, options);
  throw new TwnInputError('BAD_SOURCE', 'model source must be a URL, a Response, an ArrayBuffer or a Uint8Array');
}

function isResponse(value: unknown): value is Response {
  return typeof Response !== 'undefined' && value instanceof Response;
}

async function fetchModel(url: string | URL, signal: AbortSignal | undefined): Promise<Response> {
  try {
    return await fetch(url, { signal });
  } catch (error) {
    if (signal?.aborted) throw new TwnAbortError(signal.reason);
    throw new TwnInputError('FETCH_FAILED', `could not fetch ${String(url)}: ${(error as Error).message}`);
  }
}

async function readResponse(response: Response, { onProgress, signal, maxBytes = DEFAULT_MAX_MODEL_BYTES }: ReadSourceOptions): Promise<Uint8Array> {
  if (!response.ok) {
    throw new TwnInputError('FETCH_FAILED', `could not fetch ${response.url || 'model'}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (!(maxBytes >= 0)) throw new TwnInputError('BAD_SOURCE', `maxBytes must be a number ≥ 0, got ${String(maxBytes)}`);
  const total = contentLength(response);
  const checkSize = (bytes: number, how: string): void => {
    if (bytes <= maxBytes) return;
    void response.body?.cancel().catch(() => undefined);
    throw new TwnInputError('MODEL_TOO_LARGE', `${response.url || 'the model'} ${how} ${bytes} bytes, over maxBytes = ${maxBytes}`);
  };
  if (total !== undefined) checkSize(total, 'has a Content-Length of');
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    checkSize(bytes.byteLength, 'is');
    onProgress?.(bytes.byteLength, total ?? bytes.byteLength);
    return bytes;
  }
  const reader = response.body.getReader();
  const cancel = (): void => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    onProgress?.(0, total);
    for (;;) {
      const { done, value } = await reader.read();
      throwIfAborted(signal);
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      if (loaded > maxBytes) {
        void reader.cancel().catch(() => undefined);
        throw new TwnInputError('MODEL_TOO_LARGE', `download of ${response.url || 'the model'} passed maxBytes = ${maxBytes} bytes`);
      }
      // A body longer than its stated length is not the file the server described; and without this stop, an endless
      // body would be buffered until memory ran out.
      if (total !== undefined && loaded > total) {
        void reader.cancel().catch(() => undefined);
        throw new TwnInputError('FETCH_FAILED', `download failed: the body runs past its Content-Length of ${total} bytes`);
      }
      onProgress?.(loaded, total);
    }
    return concat(chunks, loaded);
  } catch (error) {
    if (signal?.aborted) throw new TwnAbortError(signal.reason);
    if (error instanceof TwnInputError) throw error;
    throw new TwnInputError('FETCH_FAILED', `download failed: ${(error as Error).message}`);
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/** Content-Length counts encoded bytes, so it is no total for the decoded stream when the body is compressed. */
function contentLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
