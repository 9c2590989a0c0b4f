import { describe, expect, it } from 'vitest';
import { reviveError, serializeError } from '../../src/api/errors.js';
import { TwnAbortError } from '../../src/api/errors.js';
import { TwnDeviceError, TwnError, TwnFormatError, TwnInputError } from '../../src/errors.js';

/** What the main thread gets back from the CPU worker: serialized, structured-cloned, revived. */
const roundTrip = (error: unknown) => reviveError(structuredClone(serializeError(error)));

describe('errors across the CPU worker boundary', () => {
  it('come back as the same typed class, code and message', () => {
    for (const error of [new TwnInputError('INPUT_SHAPE', 'bad shape'), new TwnDeviceError('DISPOSED', 'gone'), new TwnError('X', 'plain')]) {
      const revived = roundTrip(error);
      expect(revived).toBeInstanceOf(error.constructor);
      expect(revived).toMatchObject({ name: error.name, code: error.code, message: error.message });
    }
  });

  it('keep a format error’s offset and path without repeating its location', () => {
    const error = new TwnFormatError('SCHEMA', 'bad node', { path: 'nodes[2].op' });
    const revived = roundTrip(error);
    expect(revived).toBeInstanceOf(TwnFormatError);
    expect(revived).toMatchObject({ code: 'SCHEMA', message: 'bad node (at nodes[2].op)', path: 'nodes[2].op', offset: undefined });
  });

  it('keep an abort error’s name, and any other error as an Error', () => {
    expect(roundTrip(new TwnAbortError(new Error('stop')))).toMatchObject({ name: 'AbortError', code: 'ABORTED', message: 'aborted: stop' });
    const other = roundTrip(new RangeError('out of range'));
    expect(other).not.toBeInstanceOf(TwnError);
    expect(other).toMatchObject({ name: 'RangeError', message: 'out of range' });
    expect(roundTrip('thrown string')).toMatchObject({ message: 'thrown string' });
  });
});
