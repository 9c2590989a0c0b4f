import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, preprocess, TwnInputError, type Prediction, type TwnModel } from '../../src/index.js';
import { decodeImage, loadModel as loadModelInNode } from '../../src/node/index.js';
import { softmax } from '../../src/api/classify.js';
import { buildLeNet5 } from '../../src/models/index.js';

const bytes = buildLeNet5({ seed: 11 });
const png = readFileSync(join(import.meta.dirname, '../../demo/public/gallery/mnist-00000.png'));
let dir: string;
let file: string;
let model: TwnModel;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twn-model-test-'));
  file = join(dir, 'lenet5.twn');
  writeFileSync(file, bytes);
  model = await loadModel(bytes, { backend: 'cpu' });
});

afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A bright vertical bar on black, like a "1", as RGBA pixels of any size. */
function bar(width: number, height: number) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const on = x >= width * 0.4 && x < width * 0.6 && y > height * 0.15 && y < height * 0.85 ? 255 : 0;
      data.set([on, on, on, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

describe('model files in Node', () => {
  it('loads a relative path, an absolute path and a file: URL, as the bytes themselves', async () => {
    const expected = await model.run(preprocess(bar(28, 28), model.info));
    for (const source of [relative(process.cwd(), file), file, pathToFileURL(file), pathToFileURL(file).href]) {
      const fromFile = await loadModel(source, { backend: 'cpu' });
      expect(await fromFile.run(preprocess(bar(28, 28), fromFile.info))).toEqual(expected);
      expect(fromFile.info.fileBytes).toBe(bytes.length);
      fromFile.dispose();
    }
  });

  it('fails with a typed error naming the file when it is missing, a directory, or over maxBytes', async () => {
    const missing = join(dir, 'missing.twn');
    await expect(loadModel(missing)).rejects.toMatchObject({
      code: 'FETCH_FAILED',
      message: expect.stringContaining(missing),
    });
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'FETCH_FAILED',
      message: expect.stringMatching(/not a regular file/),
    });
    await expect(loadModel(file, { maxBytes: 100 })).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
  });
});

describe('classify', () => {
  it('runs an array of images as one batch, each with the predictions it gets alone', async () => {
    const images = [bar(28, 28), bar(56, 40), bar(20, 30)];
    const alone: Prediction[][] = [];
    for (const image of images) alone.push(await model.classify(image, { topK: 3 }));
    const run = vi.spyOn(model, 'run');
    const together = await model.classify(images, { topK: 3 });
    expect(run).toHaveBeenCalledTimes(1);
    expect(run.mock.calls[0]![1]).toBe(3);
    run.mockRestore();
    expect(together.map((predictions) => predictions.map((p) => p.index))).toEqual(
      alone.map((p) => p.map((q) => q.index)),
    );
    together.forEach((predictions, i) =>
      predictions.forEach((p, j) => expect(p.probability).toBeCloseTo(alone[i]![j]!.probability, 5)),
    );
  });

  it('is the exported preprocess, then run, then softmax', async () => {
    const image = bar(33, 47);
    const probabilities = softmax(await model.run(preprocess(image, model.info)));
    const [best] = await model.classify(image, { topK: 1 });
    expect(best!.probability).toBeCloseTo(Math.max(...probabilities), 6);
    expect(best!.index).toBe(probabilities.indexOf(Math.max(...probabilities)));
  });

  it('rejects null, undefined, a string, or null options with TwnInputError naming every accepted type', async () => {
    for (const bad of [null, undefined, 'digit.png', 7, {}]) {
      const call = model.classify(bad as never);
      await expect(call).rejects.toBeInstanceOf(TwnInputError);
      await expect(call).rejects.toMatchObject({
        code: 'INPUT_TYPE',
        message: expect.stringContaining('{ width, height, data }'),
      });
    }
    await expect(model.classify(bar(28, 28), null as never)).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    await expect(model.classify([])).rejects.toMatchObject({ code: 'INPUT_SHAPE' });
  });

  it('says how to decode PNG bytes when the main entry has no decoder in Node, listing every accepted type', async () => {
    await expect(model.classify(png)).rejects.toMatchObject({
      code: 'NO_IMAGE_DECODER',
      message: expect.stringMatching(/twn-webgpu\/node.*\{ width, height, data \}/),
    });
  });

  it("classifies PNG and JPEG bytes (Buffer, ArrayBuffer, Blob) with twn-webgpu/node's loadModel", async () => {
    const nodeModel = await loadModelInNode(bytes, { backend: 'cpu' });
    const decoded = PNG.sync.read(png);
    const expected = await nodeModel.classify({ width: decoded.width, height: decoded.height, data: decoded.data });
    const jpegBytes = jpeg.encode({ width: decoded.width, height: decoded.height, data: decoded.data }, 100).data;
    for (const input of [png, png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength), new Blob([png])]) {
      expect(await nodeModel.classify(input)).toEqual(expected);
    }
    const fromJpeg = await nodeModel.classify(jpegBytes);
    expect(fromJpeg[0]!.index).toBe(expected[0]!.index);
    await expect(nodeModel.classify(new Uint8Array([1, 2, 3, 4]))).rejects.toMatchObject({
      code: 'IMAGE_DECODE_FAILED',
    });
    nodeModel.dispose();
  });

  it('refuses a PNG whose header claims more than 100 megapixels, before decoding it', () => {
    const header = PNG.sync.write(new PNG({ width: 1, height: 1 }));
    new DataView(header.buffer, header.byteOffset).setUint32(16, 20_000);
    new DataView(header.buffer, header.byteOffset).setUint32(20, 20_000);
    expect(() => decodeImage(header)).toThrow(expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }));
  });
});

describe('snapshots', () => {
  it('run and classify read their input when called: writing into it right after does not change the result', async () => {
    const input = preprocess(bar(28, 28), model.info);
    const expected = await model.run(input);
    const pending = model.run(input);
    input.fill(0);
    expect(await pending).toEqual(expected);
    // A run copies its input into the last finished run's snapshot where it fits: runs queued together, of other
    // batch sizes and inputs, each keep their own.
    const plain = preprocess(bar(28, 28), model.info);
    const other = plain.map((value, i) => (i % 7 === 0 ? 1 - value : value));
    const pair = new Float32Array(2 * plain.length);
    pair.set(other);
    pair.set(plain, plain.length);
    const one = await model.run(other);
    const two = await model.run(pair, 2);
    const queued = [model.run(plain), model.run(pair, 2), model.run(other), model.run(plain)];
    for (const array of [plain, pair, other]) array.fill(0);
    expect(await Promise.all(queued)).toEqual([expected, two, one, expected]);
    expect(one).not.toEqual(expected);

    const image = bar(28, 28);
    const expectedTop = await model.classify(image);
    const first = model.classify(image);
    const second = model.classify([image, image]);
    image.data.fill(0);
    expect(await first).toEqual(expectedTop);
    expect(await second).toEqual([expectedTop, expectedTop]);

    const nodeModel = await loadModelInNode(bytes, { backend: 'cpu' });
    const pngCopy = Uint8Array.from(png);
    const fromPng = await nodeModel.classify(pngCopy);
    const pendingPng = nodeModel.classify(pngCopy);
    pngCopy.fill(0);
    expect(await pendingPng).toEqual(fromPng);
    nodeModel.dispose();
  });
});

describe('runNamed and disposal', () => {
  it("names the output and gives its dims, with run's data", async () => {
    const batch = new Float32Array(2 * 28 * 28).fill(0.25);
    const named = await model.runNamed(batch, 2);
    expect(Object.keys(named)).toEqual(['logits']);
    expect(named.logits!.dims).toEqual([2, 10]);
    expect(named.logits!.data).toEqual(await model.run(batch, 2));
  });

  it('disposes through Symbol.dispose (using)', async () => {
    const scoped = await loadModel(bytes, { backend: 'cpu' });
    scoped[Symbol.dispose]();
    expect(scoped.disposed).toBe(true);
    await expect(scoped.run(new Float32Array(784))).rejects.toMatchObject({ code: 'DISPOSED' });
  });
});
