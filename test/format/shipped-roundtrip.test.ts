/**
 * docs/FORMAT.md §1 canonical form: the shipped models (written by the Python exporter) are exactly what the
 * TypeScript writer produces for their content. tools/tests/test_canonical.py checks the same files against the
 * exporter's writer, so the two writers agree byte for byte.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';

const MODELS = 'demo/models';

describe('shipped models are in canonical form', () => {
  const names = readdirSync(MODELS).filter((name) => name.endsWith('.twn'));
  it('there are shipped models', () => expect(names.length).toBeGreaterThanOrEqual(4));
  for (const name of names) {
    it(`${name}: read and re-written by the TypeScript writer, byte for byte`, () => {
      const bytes = new Uint8Array(readFileSync(`${MODELS}/${name}`));
      const rewritten = writeTwnFile(readTwnFile(bytes));
      expect(rewritten.length).toBe(bytes.length);
      expect(Buffer.from(rewritten).equals(Buffer.from(bytes))).toBe(true);
    });
  }
});
