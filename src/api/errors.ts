import { TwnError } from '../errors.js';

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
