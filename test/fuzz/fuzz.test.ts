/**
 * A seeded slice of the fuzzer (test/fuzz/fuzz.ts) for CI: every mutant loads and runs, or is refused with a typed
 * error, within its budget. The slice is fixed by its seed and case count, so a failure reproduces.
 */
import { describe, expect, it } from 'vitest';
import { defaultSeeds, fuzz } from './fuzz.js';

describe('fuzzer, seeded slice', () => {
  it('400 mutants of the shipped and builder-made models: typed errors or correct runs only', async () => {
    const stats = fuzz({
      seed: 2026,
      seeds: await defaultSeeds(),
      maxCases: 400,
      maxMillis: 100_000,
      caseBudgetMillis: 15_000,
    });
    expect(
      stats.failures.map(({ index, seed, description, why }) => `#${index} ${seed}: ${description}: ${why}`),
    ).toEqual([]);
    // The header edits keep lengths and the CRC valid, so the slice reaches checks deep in the reader and the graph.
    for (const code of ['SCHEMA', 'CHECKSUM_MISMATCH', 'BAD_ATTRIBUTE', 'UNDEFINED_INPUT', 'ok']) {
      expect(stats.outcomes.get(code), code).toBeGreaterThan(0);
    }
    expect(stats.outcomes.size).toBeGreaterThanOrEqual(15);
  });
});
