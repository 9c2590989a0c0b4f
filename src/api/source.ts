import { TwnInputError } from '../errors.js';
import { TwnAbortError, throwIfAborted } from './errors.js';

/** Where a model's bytes come from: a URL to fetch, a fetch `Response`, or bytes already in memory. */
export type ModelSource = string | URL | Response | ArrayBuffer | Uint8Array;

/**
 * The largest download `loadModel` accepts unless told otherwise: far above any TWN (a ternary ResNet-18 is 3 MiB, an
 * fp32 one 45 MiB), far below what would exhaust a tab's memory.
 */
export const DEFAULT_MAX_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * How long a download may go without receiving anything (the response headers, or the next chunk of its body) before
 * it fails with FETCH_TIMEOUT: a stalled server must not hold `loadModel` forever when the caller passed no signal.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export interface ReadSourceOptions {
  /** Called as download chunks arrive; `totalBytes` comes from Content-Length and is undefined when unknown. */
  onProgress?: (loadedBytes: number, totalBytes: number | undefined) => void;
  signal?: AbortSignal;
  /**
   * A download (URL or Response) larger than this fails with MODEL_TOO_LARGE: at once when Content-Length says so,
   * otherwise as soon as the bytes received pass it. Default DEFAULT_MAX_MODEL_BYTES (256 MiB).
   */
  maxBytes?: number;
  /**
   * A download (URL or Response) that receives nothing for this many milliseconds fails with TwnInputError
   * FETCH_TIMEOUT and is cancelled. Default DEFAULT_IDLE_TIMEOUT_MS (30 s); Infinity waits for ever.
   */
  idleTimeoutMs?: number;
}

export async function readModelSource(source: ModelSource, options: ReadSourceOptions = {}): Promise<Uint8Array> {
  throwIfAborted(options.signal);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const isUrl = typeof source === 'string' || source instanceof URL;
  if (!isUrl && !isResponse(source)) {
    throw new TwnInputError('BAD_SOURCE', 'model source must be a URL, a Response, an ArrayBuffer or a Uint8Array');
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!(idleTimeoutMs > 0)) {
    throw new TwnInputError('BAD_OPTIONS', `idleTimeoutMs must be a number > 0, got ${String(idleTimeoutMs)}`);
  }
  const download = new Download(isUrl ? String(source) : source.url || 'the model', idleTimeoutMs, options.signal);
  try {
    return await readResponse(isUrl ? await download.fetch(source) : source, download, options);
  } finally {
    download.finish();
  }
}

function isResponse(value: unknown): value is Response {
  return typeof Response !== 'undefined' && value instanceof Response;
}

/**
 * One download's cancellation: the caller's signal, and a watchdog that fires when nothing has arrived for
 * `idleTimeoutMs`. Either one aborts the fetch (so a stalled connection is closed) and cancels the body.
 */
class Download {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly onAbort = (): void => this.controller.abort(this.signal?.reason);
  private body: ReadableStreamDefaultReader<Uint8Array> | undefined;

  constructor(
    readonly what: string,
    private readonly idleTimeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.alive();
  }

  async fetch(url: string | URL): Promise<Response> {
    try {
      return await fetch(url, { signal: this.controller.signal });
    } catch (error) {
      throw this.failure(error, `could not fetch ${this.what}`);
    }
  }

  /** Reads the body through this download, so that a timeout or an abort cancels it. */
  reader(response: Response & { body: ReadableStream<Uint8Array> }): ReadableStreamDefaultReader<Uint8Array> {
    this.body = response.body.getReader();
    return this.body;
  }

  /** Something arrived: the watchdog starts again. */
  alive(): void {
    clearTimeout(this.timer);
    if (this.idleTimeoutMs === Infinity) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort();
      void this.body?.cancel().catch(() => undefined);
    }, this.idleTimeoutMs);
  }

  /** Throws the abort or the timeout once either has happened (a cancelled body reads as done, not as an error). */
  check(): void {
    throwIfAborted(this.signal);
    if (this.timedOut) throw this.timeoutError();
  }

  /** What a failed fetch or read means: the caller's abort, the watchdog, or the network. */
  failure(error: unknown, doing: string): Error {
    if (this.signal?.aborted) return new TwnAbortError(this.signal.reason);
    if (this.timedOut) return this.timeoutError();
    if (error instanceof TwnInputError) return error;
    return new TwnInputError('FETCH_FAILED', `${doing}: ${(error as Error).message}`);
  }

  finish(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private timeoutError(): TwnInputError {
    const message = `${this.what}: nothing received for ${this.idleTimeoutMs} ms, download cancelled`;
    return new TwnInputError('FETCH_TIMEOUT', message);
  }
}

async function readResponse(response: Response, download: Download, options: ReadSourceOptions): Promise<Uint8Array> {
  const { onProgress, maxBytes = DEFAULT_MAX_MODEL_BYTES } = options;
  const where = response.url || download.what;
  // Every refusal cancels the body: an unread error body keeps its connection, and browsers allow six per host.
  const refuse = (code: string, message: string): TwnInputError => {
    void response.body?.cancel().catch(() => undefined);
    return new TwnInputError(code, message);
  };
  if (!response.ok) {
    throw refuse('FETCH_FAILED', `could not fetch ${where}: HTTP ${response.status} ${response.statusText}`.trim());
  }
  if (!(maxBytes >= 0)) throw refuse('BAD_SOURCE', `maxBytes must be a number ≥ 0, got ${String(maxBytes)}`);
  const total = contentLength(response);
  const tooLarge = (how: string, bytes: number) => `${where} ${how} ${bytes} bytes, over maxBytes = ${maxBytes}`;
  if (total !== undefined && total > maxBytes) {
    throw refuse('MODEL_TOO_LARGE', tooLarge('has a Content-Length of', total));
  }
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw refuse('MODEL_TOO_LARGE', tooLarge('is', bytes.byteLength));
    onProgress?.(bytes.byteLength, total ?? bytes.byteLength);
    return bytes;
  }
  const reader = download.reader(response as Response & { body: ReadableStream<Uint8Array> });
  try {
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    onProgress?.(0, total);
    for (;;) {
      const { done, value } = await reader.read();
      download.check();
      if (done) break;
      download.alive();
      chunks.push(value);
      loaded += value.byteLength;
      if (loaded > maxBytes) {
        throw new TwnInputError('MODEL_TOO_LARGE', `download of ${where} passed maxBytes = ${maxBytes} bytes`);
      }
      // A body longer than its stated length is not the file the server described; and without this stop, an endless
      // body would be buffered until memory ran out.
      if (total !== undefined && loaded > total) {
        throw new TwnInputError('FETCH_FAILED', `download failed: the body runs past its Content-Length of ${total} bytes`);
      }
      onProgress?.(loaded, total);
    }
    return concat(chunks, loaded);
  } catch (error) {
    void reader.cancel().catch(() => undefined);
    throw download.failure(error, 'download failed');
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
