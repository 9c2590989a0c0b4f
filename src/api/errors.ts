import { TwnDeviceError, TwnError, TwnFormatError, TwnInputError, type FormatErrorCode } from '../errors.js';

/**
 * The caller's AbortSignal fired. `name` is 'AbortError' so code written for `fetch` cancellation
 * (`err.name === 'AbortError'`) handles it unchanged; `instanceof TwnError` still holds.
 */
export class TwnAbortError extends TwnError {
  override readonly name = 'AbortError';
  constructor(readonly reason?: unknown) {
    super('ABORTED', reason instanceof Error ? `aborted: ${reason.message}` : 'aborted');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TwnAbortError(signal.reason);
}

/** A TwnError (or any Error) as it crosses a worker boundary: structured clone keeps neither class nor extra fields. */
export interface SerializedError {
  readonly kind: 'format' | 'input' | 'device' | 'abort' | 'twn' | 'error';
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly offset?: number;
  readonly path?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { kind: 'error', name: 'Error', message: String(error) };
  const { name, message } = error;
  if (!(error instanceof TwnError)) return { kind: 'error', name, message };
  const kind =
    error instanceof TwnFormatError ? 'format'
    : error instanceof TwnInputError ? 'input'
    : error instanceof TwnDeviceError ? 'device'
    : error instanceof TwnAbortError ? 'abort'
    : 'twn';
  if (error instanceof TwnFormatError) return { kind, name, message, code: error.code, offset: error.offset, path: error.path };
  return { kind, name, message, code: error.code };
}

/** The inverse of `serializeError`: the same class, `code`, message (and offset/path), so callers branch as usual. */
export function reviveError(error: SerializedError): Error {
  const code = error.code ?? 'UNKNOWN';
  switch (error.kind) {
    case 'format':
      // The message already carries its " (at …)" suffix; offset and path are restored without appending it again.
      return Object.assign(new TwnFormatError(code as FormatErrorCode, error.message), { offset: error.offset, path: error.path });
    case 'input':
      return new TwnInputError(code, error.message);
    case 'device':
      return new TwnDeviceError(code, error.message);
    case 'abort':
      return Object.assign(new TwnAbortError(), { message: error.message });
    case 'twn':
      return new TwnError(code, error.message);
    default:
      return Object.assign(new Error(error.message), { name: error.name });
  }
}
