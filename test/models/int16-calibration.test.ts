/** Seeded files' int16 calibration (src/models/int16-calibration.ts, docs/FORMAT.md §7.1). */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/index.js';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { int16Calibration, layersWithoutRange } from '../../src/graph/int16.js';
import { buildLeNet5File } from '../../src/models/index.js';
import { withSeededInt16 } from '../../src/models/int16-calibration.js';
import { mulberry32 } from '../../src/models/random.js';
import { tinyResNetFile } from '../graph/fixtures.js';
import { calibration } from '../op-cases/int16-reference.js';

const seededPixels = (length: number, seed: number) => Float32Array.from({ length }, mulberry32(seed));

describe('seeded int16 calibration', () => {
  it('LeNet-5: 8 bits, a range for every ternary layer, the first one max|normalised pixel|', () => {
    const file = buildLeNet5File({ seed: 3, int16CalibrationImages: 2 });
    const graph = graphFromFile(readTwnFile(writeTwnFile(file)));
    const int16 = int16Calibration(graph)!;
    expect(int16.bits).toBe(8);
    expect(layersWithoutRange(graph, int16)).toEqual([]);
    const pixels = seededPixels(2 * 28 * 28, 3);
    const normalised = pixels.reduce((most, p) => Math.max(most, Math.abs((p - 0.1307) / 0.3081)), 0);
    expect(int16.inputRanges.get('conv1')).toBe(normalised);
    const provenance = { dataset: 'uniform random pixels', split: 'seed 3', images: 2, statistic: 'max|x|' };
    expect(int16.calibration).toEqual(provenance);
  });

  it('equals the test reference’s max|x| per layer input, on a residual net with explicit batchnorm', () => {
    const file = tinyResNetFile({ seed: 4, foldBatchNorm: false });
    const calibrated = withSeededInt16(file, 3, 9);
    const expected = calibration(graphFromFile(file), seededPixels(3 * 3 * 32 * 32, 9), 3, 8);
    expect(Object.fromEntries(int16Calibration(graphFromFile(calibrated))!.inputRanges)).toEqual(expected.inputRanges);
  });

  it('is off by default and leaves the weights alone', () => {
    const plain = buildLeNet5File({ seed: 3 });
    const calibrated = buildLeNet5File({ seed: 3, int16CalibrationImages: 1 });
    expect(plain.metadata.int16).toBeUndefined();
    expect(calibrated.tensors).toEqual(plain.tensors);
  });

  it('makes a seeded file that loads at precision int16', async () => {
    const bytes = writeTwnFile(buildLeNet5File({ seed: 3, int16CalibrationImages: 1 }));
    const model = await loadModel(bytes, { backend: 'cpu', precision: 'int16', threads: 1 });
    expect(model.info.backend.precision).toBe('int16');
    model.dispose();
  });
});
