/** The `precision` load option: when int16 is offered (docs/FORMAT.md §7.1), what runs, and why float32 otherwise. */
import { describe, expect, it } from 'vitest';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { precisionInfo } from '../../src/api/precision.js';
import { loadModel } from '../../src/index.js';
import { buildVgg7 } from '../../src/models/index.js';
import { seededRandom } from '../../src/models/random.js';
import { OP_CASES } from '../op-cases/cases.js';
import { compareToReference, OP_RELATIVE_TOLERANCE } from '../op-cases/compare.js';
import { calibration, quantisersOf, referenceRun } from '../op-cases/int16-reference.js';

const file = readTwnFile(buildVgg7({ seed: 21, widthMultiplier: 0.25 }));
const graph = graphFromFile(file);
const random = seededRandom(22);
// Random pixels: a few repeated values could sit on a tie of x·s and move many codes at once (see fakeQuantised).
const input = Float32Array.from({ length: 3 * 32 * 32 }, () => random.uniform(0, 1));
const int16 = calibration(graph, input, 1, 8);

/** The VGG-7 file with `metadata` merged in. */
const withMetadata = (metadata: Record<string, unknown>) =>
  writeTwnFile({ ...file, metadata: { ...file.metadata, ...metadata } });

describe('precision', () => {
  it("int16 runs where the file offers it, and gives the fake-quantised reference's logits", async () => {
    const model = await loadModel(withMetadata({ int16 }), { backend: 'cpu', precision: 'int16', threads: 1 });
    expect(model.info.backend).toMatchObject({ precision: 'int16', kernels: 'wasm-simd' });
    expect(model.info.backend.precisionReason).toBeUndefined();
    const expected = referenceRun(graph, input, 1, quantisersOf(int16)).outputs.get('logits')!.data;
    const result = compareToReference(await model.run(input), expected, OP_RELATIVE_TOLERANCE);
    expect(result.pass, result.message).toBe(true);
    const float = await loadModel(withMetadata({ int16 }), { backend: 'cpu', threads: 1 });
    expect(float.info.backend.precision).toBe('float32');
    expect(compareToReference(await float.run(input), expected, OP_RELATIVE_TOLERANCE).pass).toBe(false);
    model.dispose();
    float.dispose();
  });

  it.each([
    ['no int16 key', {}, /no int16 input ranges/],
    ['no range for conv2', { int16: { ...int16, inputRanges: { ...int16.inputRanges, conv2: undefined } } }, /conv2$/],
    ['0.2 points lost', { accuracy: { top1: 0.9 }, int16: { ...int16, accuracy: { top1: 0.898 } } }, /0\.20 points/],
  ])('float32 runs, and says why, for a file with %s', async (_name, metadata, reason) => {
    const model = await loadModel(withMetadata(JSON.parse(JSON.stringify(metadata))), {
      backend: 'cpu',
      precision: 'int16',
      threads: 1,
    });
    expect(model.info.backend.precision).toBe('float32');
    expect(model.info.backend.precisionReason).toMatch(reason);
    model.dispose();
  });

  it('0.1 points lost is still offered', async () => {
    const metadata = { accuracy: { top1: 0.9934 }, int16: { ...int16, accuracy: { top1: 0.9924 } } };
    const model = await loadModel(withMetadata(metadata), { backend: 'cpu', precision: 'int16', threads: 1 });
    expect(model.info.backend.precision).toBe('int16');
    model.dispose();
  });

  it('the other reasons: WebGPU, no WebAssembly SIMD, no ternary layers', () => {
    const calibrated = graphFromFile({ ...file, metadata: { ...file.metadata, int16 } });
    expect(precisionInfo('int16', calibrated, 'webgpu', undefined).precisionReason).toMatch(/WebGPU/);
    expect(precisionInfo('int16', calibrated, 'cpu', 'float32').precisionReason).toMatch(/no WebAssembly SIMD/);
    expect(precisionInfo('int16', calibrated, 'cpu', 'int16')).toEqual({ precision: 'int16' });
    const floatLayer = OP_CASES.find((spec) => spec.name.startsWith('conv2d float'))!.build().graph;
    expect(precisionInfo('int16', floatLayer, 'cpu', 'int16').precisionReason).toMatch(/no ternary or binary layers/);
    expect(precisionInfo('float32', calibrated, 'cpu', 'int16')).toEqual({ precision: 'float32' });
  });

  it('a precision other than float32/int16 is a BAD_OPTIONS input error', async () => {
    const options = { backend: 'cpu', precision: 'int8' } as unknown as Parameters<typeof loadModel>[1];
    await expect(loadModel(withMetadata({ int16 }), options)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
  });
});
