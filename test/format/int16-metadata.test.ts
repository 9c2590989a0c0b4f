import { describe, expect, it } from 'vitest';
import { TwnFormatError, type FormatErrorCode } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import type { TwnFile } from '../../src/format/types.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { int16Calibration, int16Scale, layersWithoutRange } from '../../src/graph/int16.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { f32 } from '../ops/helpers.js';
import { smallFile } from '../graph/fixtures.js';
import { editHeader, editHeaderText, workedExampleFile } from './fixtures.js';

/** docs/FORMAT.md §7.1 on the worked example, whose one ternary layer is the dense node "fc". */
const int16 = {
  bits: 8,
  inputRanges: { fc: 2.5 },
  calibration: { dataset: 'example', split: 'train', images: 3, statistic: 'max|x|' },
  accuracy: { top1: 0.75, split: 'test', images: 4 },
};
const withInt16 = (value: unknown): TwnFile => {
  const file = workedExampleFile();
  file.metadata = { ...file.metadata, int16: value };
  return file;
};
const valid = writeTwnFile(withInt16(int16));
const load = (bytes: Uint8Array) => graphFromFile(readTwnFile(bytes));

function rejection(run: () => unknown): TwnFormatError {
  try {
    run();
  } catch (error) {
    if (error instanceof TwnFormatError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('§7.1 metadata.int16 on a valid file', () => {
  it('reads back as the typed calibration, and the file re-writes byte for byte', () => {
    const calibration = int16Calibration(load(valid));
    expect(calibration).toEqual({ ...int16, qmax: 127, inputRanges: new Map([['fc', 2.5]]) });
    expect(writeTwnFile(readTwnFile(valid))).toEqual(valid);
  });

  it('qmax is 2^(bits−1) − 1 at both ends of the allowed bits', () => {
    const withBits = (bits: number) => editHeader(valid, (j) => (j.metadata.int16.bits = bits));
    const qmax = (bits: number) => int16Calibration(load(withBits(bits)))!.qmax;
    expect([qmax(2), qmax(15)]).toEqual([1, 16383]);
  });

  it('a file without the key loads as before and offers no calibration', () => {
    const graph = load(writeTwnFile(workedExampleFile()));
    expect(int16Calibration(graph)).toBeUndefined();
  });

  it('survives the optimisation passes, which keep layer names (conv1 absorbs bn1 and relu1)', () => {
    const file = smallFile();
    file.metadata = { trained: false, int16: { bits: 10, inputRanges: { conv1: 3, fc: 0.75 } } };
    const graph = optimize(graphFromFile(file));
    expect(graph.nodes.some((node) => node.op === 'batchnorm')).toBe(false);
    expect(int16Calibration(graph)?.inputRanges).toEqual(new Map([['conv1', 3], ['fc', 0.75]]));
  });

  it('layersWithoutRange lists the ternary layers the file gives no range, in graph order', () => {
    const file = smallFile();
    file.metadata = { trained: false, int16: { bits: 8, inputRanges: { fc: 1 } } };
    const graph = graphFromFile(file);
    expect(layersWithoutRange(graph, int16Calibration(graph)!)).toEqual(['conv1']);
  });

  it('int16Scale is qmax / r rounded once to float32', () => {
    // 127 / 1.52 = 83.5526315…; float32 in [64, 128) has spacing 2^-17, and 83.5526315… · 2^17 rounds to 10951411.
    expect(int16Scale(1.52, 127)).toBe(10951411 / 2 ** 17);
    expect(int16Scale(1.52, 127)).not.toBe(127 / 1.52);
  });
});

/** Edits the parsed `metadata` object in place (the fixtures' loosely typed JSON). */
type Edit = (metadata: Parameters<Parameters<typeof editHeader>[1]>[0]) => void;

describe('§7.1 metadata.int16 with bad types or values is SCHEMA at its JSON path', () => {
  const cases: [string, Edit, string][] = [
    ['an array', (j) => (j.int16 = []), '$.metadata.int16'],
    ['a string', (j) => (j.int16 = '8'), '$.metadata.int16'],
    ['null', (j) => (j.int16 = null), '$.metadata.int16'],
    ['bits missing', (j) => delete j.int16.bits, '$.metadata.int16.bits'],
    ['bits 0', (j) => (j.int16.bits = 0), '$.metadata.int16.bits'],
    ['bits 1', (j) => (j.int16.bits = 1), '$.metadata.int16.bits'],
    ['bits 16', (j) => (j.int16.bits = 16), '$.metadata.int16.bits'],
    ['bits 1.5', (j) => (j.int16.bits = 1.5), '$.metadata.int16.bits'],
    ['bits −8', (j) => (j.int16.bits = -8), '$.metadata.int16.bits'],
    ['bits "8"', (j) => (j.int16.bits = '8'), '$.metadata.int16.bits'],
    ['inputRanges missing', (j) => delete j.int16.inputRanges, '$.metadata.int16.inputRanges'],
    ['inputRanges an array', (j) => (j.int16.inputRanges = [2.5]), '$.metadata.int16.inputRanges'],
    ['a range 0', (j) => (j.int16.inputRanges.fc = 0), '$.metadata.int16.inputRanges.fc'],
    ['a negative range', (j) => (j.int16.inputRanges.fc = -2.5), '$.metadata.int16.inputRanges.fc'],
    ['a range above 1e30', (j) => (j.int16.inputRanges.fc = 1e31), '$.metadata.int16.inputRanges.fc'],
    ['a range below 1e-30', (j) => (j.int16.inputRanges.fc = 1e-31), '$.metadata.int16.inputRanges.fc'],
    ['a range "NaN"', (j) => (j.int16.inputRanges.fc = 'NaN'), '$.metadata.int16.inputRanges.fc'],
    ['a range null', (j) => (j.int16.inputRanges.fc = null), '$.metadata.int16.inputRanges.fc'],
    ['a range [2.5]', (j) => (j.int16.inputRanges.fc = [2.5]), '$.metadata.int16.inputRanges.fc'],
    ['an empty node name', (j) => (j.int16.inputRanges[''] = 1), '$.metadata.int16.inputRanges[""]'],
    ['an unknown key', (j) => (j.int16.bitz = 8), '$.metadata.int16.bitz'],
    ['calibration a string', (j) => (j.int16.calibration = 'MNIST'), '$.metadata.int16.calibration'],
    ['calibration.images 1.5', (j) => (j.int16.calibration.images = 1.5), '$.metadata.int16.calibration.images'],
    ['calibration.images −1', (j) => (j.int16.calibration.images = -1), '$.metadata.int16.calibration.images'],
    ['statistic a number', (j) => (j.int16.calibration.statistic = 9), '$.metadata.int16.calibration.statistic'],
    ['accuracy.top1 above 1', (j) => (j.int16.accuracy.top1 = 99.3), '$.metadata.int16.accuracy.top1'],
    ['accuracy.images a string', (j) => (j.int16.accuracy.images = '10000'), '$.metadata.int16.accuracy.images'],
  ];

  it.each(cases)('%s', (_, change, path) => {
    const bytes = editHeader(valid, (j) => change(j.metadata));
    const error = rejection(() => readTwnFile(bytes));
    expect([error.code, error.path], error.message).toEqual(['SCHEMA', path]);
  });

  it('an infinite range (1e999 in the text) is SCHEMA', () => {
    const bytes = editHeaderText(valid, (text) => text.replace('"fc":2.5', '"fc":1e999'));
    expect(rejection(() => readTwnFile(bytes)).path).toBe('$.metadata.int16.inputRanges.fc');
  });

  it('an in-memory file that never went through the header schema gets the same check from the graph reader', () => {
    const file = withInt16({ ...int16, bits: 16 });
    const error = rejection(() => graphFromFile(file));
    expect([error.code, error.path]).toEqual(['SCHEMA', '$.metadata.int16.bits']);
  });
});

describe('§7.1 a range for a node that is not a ternary conv2d/dense is BAD_CALIBRATION', () => {
  const expectBadCalibration = (file: TwnFile, path: string, message: RegExp) => {
    const error = rejection(() => graphFromFile(file));
    expect([error.code as FormatErrorCode, error.path]).toEqual(['BAD_CALIBRATION', path]);
    expect(error.message).toMatch(message);
  };

  it('a name no node has, including one that looks like a prototype key', () => {
    const ranges = (inputRanges: Record<string, number>) => withInt16({ bits: 8, inputRanges });
    expectBadCalibration(ranges({ fc: 1, fc2: 1 }), '$.metadata.int16.inputRanges.fc2', /no node/);
    const proto = readTwnFile(editHeaderText(valid, (text) => text.replace('"fc":2.5', '"fc":2.5,"__proto__":1')));
    expectBadCalibration(proto, '$.metadata.int16.inputRanges.__proto__', /no node/);
    expectBadCalibration(ranges({ 'fc.x': 1 }), '$.metadata.int16.inputRanges["fc.x"]', /no node/);
  });

  it('a node of another op, or a layer with a float weight', () => {
    const flatten = withInt16({ bits: 8, inputRanges: { flatten: 1 } });
    expectBadCalibration(flatten, '$.metadata.int16.inputRanges.flatten', /flatten/);
    const file = withInt16({ bits: 8, inputRanges: { fc: 1 } });
    file.tensors.set('fc.weight', f32([1, 0, -1, 0, -1, 1], [2, 3]));
    file.tensors.delete('fc.alpha');
    delete (file.nodes[1]!.params as Record<string, string>).alpha;
    expectBadCalibration(file, '$.metadata.int16.inputRanges.fc', /f32 weight/);
  });

  it('is checked by the graph reader after the shapes, so a file with a broken graph reports the graph first', () => {
    const file = withInt16({ bits: 8, inputRanges: { nowhere: 1 } });
    file.outputs = ['missing'];
    expect(rejection(() => graphFromFile(file)).code).toBe('BAD_OUTPUT');
  });
});
