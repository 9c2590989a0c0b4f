import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, TwnAbortError, TwnDeviceError, TwnFormatError, TwnInputError, type TwnModel } from '../../src/index.js';
import { buildLeNet5 } from '../../src/models/index.js';
import { compareToReference, OP_RELATIVE_TOLERANCE } from '../op-cases/compare.js';
import { fakeGpu } from './fake-gpu.js';

const bytes = buildLeNet5({ seed: 7 });

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_, response) => {
    response.writeHead(200, { 'content-length': String(bytes.length), 'content-type': 'application/octet-stream' });
    response.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lenet5.twn`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** One MNIST-sized test image: a bright vertical bar, like a "1". */
function barImage(): Float32Array {
  const image = new Float32Array(28 * 28);
  for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) image[y * 28 + x] = 1;
  return image;
}

describe('loadModel', () => {
  it('maxRunBytes bounds the activations of one run (RUN_TOO_LARGE); a bad value is BAD_OPTIONS', async () => {
    const model = await loadModel(bytes, { backend: 'cpu', maxRunBytes: 200_000 });
    await expect(model.run(barImage())).resolves.toHaveLength(10);
    const batch = 8;
    await expect(model.run(new Float32Array(batch * 28 * 28), batch)).rejects.toMatchObject({
      code: 'RUN_TOO_LARGE',
      message: expect.stringMatching(/at batch 8 needs \d+ bytes .* maxRunBytes = 200000/),
    });
    model.dispose();
    for (const maxRunBytes of [0, -1, 1.5, Number.NaN]) {
      await expect(loadModel(bytes, { backend: 'cpu', maxRunBytes })).rejects.toMatchObject({ code: 'BAD_OPTIONS' });
    }
  });

  it('loads the same model from an ArrayBuffer, a Uint8Array, a Response and a URL', async () => {
    const sources = [bytes.slice().buffer, bytes, new Response(bytes.slice()), url, new URL(url)];
    const outputs: Float32Array[] = [];
    for (const source of sources) {
      const model = await loadModel(source, { backend: 'cpu' });
      outputs.push(await model.run(barImage()));
      model.dispose();
    }
    for (const output of outputs) expect(output).toEqual(outputs[0]);
  });

  it('reports download progress for a URL, ending at the file size', async () => {
    const seen: [number, number | undefined][] = [];
    const model = await loadModel(url, { backend: 'cpu', onProgress: (loaded, total) => seen.push([loaded, total]) });
    model.dispose();
    expect(seen.at(-1)).toEqual([bytes.length, bytes.length]);
    expect(seen.map(([loaded]) => loaded)).toEqual(seen.map(([loaded]) => loaded).sort((a, b) => a - b));
  });

  it('describes the model: input, labels, sizes, per-layer sparsity and α, provenance, backend', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    const { info } = model;
    model.dispose();
    expect(info.inputShape).toEqual([1, 28, 28]);
    expect(info.labels).toHaveLength(10);
    expect(info.fileBytes).toBe(bytes.length);
    expect(info.fp32Bytes / info.fileBytes).toBeGreaterThan(10);
    expect(info.metadata.trained).toBe(false);
    expect(info.backend).toMatchObject({ kind: 'cpu', requested: 'cpu', thread: 'main', kernels: 'wasm-simd' });
    expect(info.layers.map((layer) => layer.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
    for (const layer of info.layers) {
      expect(layer.dtype).toBe('ternary2');
      expect(layer.zeroFraction + layer.positiveFraction + layer.negativeFraction).toBeCloseTo(1, 9);
      // Δ = 0.7·E|W| zeroes a sizeable share of weights but far from all.
      expect(layer.zeroFraction).toBeGreaterThan(0.1);
      expect(layer.zeroFraction).toBeLessThan(0.9);
      expect(layer.alpha?.min).toBeGreaterThan(0);
    }
    expect(info.layers[0]).toMatchObject({ op: 'conv2d', weightShape: [32, 1, 5, 5], parameters: 800 });
  });

  it('runs a batch of any size, each image as it runs alone', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    const first = barImage();
    const second = new Float32Array(28 * 28).fill(0.25);
    const batch = new Float32Array(3 * 28 * 28);
    batch.set(first, 0);
    batch.set(second, 784);
    batch.set(first, 2 * 784);
    const logits = await model.run(batch, 3);
    expect(logits).toHaveLength(30);
    // From batch 3 the ternary dense layers sum the samples as lanes, in another order than one image's GEMV: equal
    // within float32 rounding of the sums (the op tolerance), not bit for bit.
    const alone = [await model.run(first), await model.run(second)];
    alone.forEach((expected, i) => {
      const comparison = compareToReference(logits.subarray(10 * i, 10 * (i + 1)), expected, OP_RELATIVE_TOLERANCE);
      expect(comparison.pass, comparison.message).toBe(true);
    });
    model.dispose();
  });

  it('classifies: top-k most probable first, probabilities from the logits', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    const logits = await model.run(barImage());
    const predictions = await model.classify(barImage(), { topK: 3 });
    model.dispose();
    expect(predictions).toHaveLength(3);
    const ranked = [...logits].map((value, index) => ({ value, index })).sort((a, b) => b.value - a.value);
    expect(predictions.map((p) => p.index)).toEqual(ranked.slice(0, 3).map((r) => r.index));
    expect(predictions.map((p) => p.label)).toEqual(predictions.map((p) => String(p.index)));
    expect(predictions[0]!.probability).toBeGreaterThanOrEqual(predictions[1]!.probability);
    const all = await (await loadModel(bytes, { backend: 'cpu' })).classify(barImage(), { topK: 50 });
    expect(all).toHaveLength(10);
    expect(all.reduce((sum, p) => sum + p.probability, 0)).toBeCloseTo(1, 5);
  });

  it('rejects wrong input with TwnInputError before running', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    await expect(model.run(new Float32Array(10))).rejects.toBeInstanceOf(TwnInputError);
    await expect(model.run(new Float32Array(784), 0)).rejects.toMatchObject({ code: 'INPUT_SHAPE' });
    await expect(model.classify(barImage(), { topK: 0 })).rejects.toMatchObject({ code: 'BAD_TOP_K' });
    model.dispose();
  });

  it('rejects NaN or ±∞ in the input (INPUT_NOT_FINITE, naming the index) instead of returning what relu and max make of it', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const batch = new Float32Array(2 * 784);
      batch[784 + 5] = bad;
      batch[784 + 9] = Number.NaN;
      await expect(model.run(batch, 2)).rejects.toMatchObject({ code: 'INPUT_NOT_FINITE', message: expect.stringContaining('1 at 5') });
      const image = barImage();
      image[0] = bad;
      await expect(model.classify(image)).rejects.toBeInstanceOf(TwnInputError);
    }
    // The largest finite floats and −0 are inputs like any other.
    const extremes = new Float32Array(784);
    extremes.set([3.4028234663852886e38, -3.4028234663852886e38, -0, 1e-45]);
    await expect(model.run(extremes)).resolves.toHaveLength(10);
    model.dispose();
  });

  it('throws TwnDeviceError DISPOSED for every call after dispose', async () => {
    const model: TwnModel = await loadModel(bytes, { backend: 'cpu' });
    model.dispose();
    model.dispose();
    expect(model.disposed).toBe(true);
    await expect(model.run(barImage())).rejects.toBeInstanceOf(TwnDeviceError);
    await expect(model.classify(barImage())).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('finishes a run already started when disposed meanwhile', async () => {
    const model = await loadModel(bytes, { backend: 'cpu' });
    const pending = model.run(barImage());
    model.dispose();
    await expect(pending).resolves.toHaveLength(10);
  });

  it('rejects a corrupt file with TwnFormatError', async () => {
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 1]! ^= 0xff;
    await expect(loadModel(corrupt, { backend: 'cpu' })).rejects.toMatchObject({ name: 'TwnFormatError', code: 'CHECKSUM_MISMATCH' });
    await expect(loadModel(new Uint8Array(8))).rejects.toBeInstanceOf(TwnFormatError);
  });

  it('stops with a typed AbortError when aborted', async () => {
    await expect(loadModel(url, { backend: 'cpu', signal: AbortSignal.abort() })).rejects.toBeInstanceOf(TwnAbortError);
  });
});

describe('loadModel when the GPU cannot take the graph', () => {
  // A hardware adapter whose device allows 64-byte storage bindings: compiling any layer exceeds it.
  const tinyLimits = { maxStorageBufferBindingSize: 64, maxBufferSize: 64, maxStorageBuffersPerShaderStage: 8, maxComputeWorkgroupsPerDimension: 65535, maxComputeWorkgroupSizeX: 256, maxComputeInvocationsPerWorkgroup: 256 };

  it("runs on the CPU under 'auto', says why, and frees the device", async () => {
    const { gpu, devices } = fakeGpu({ vendor: 'nvidia', architecture: 'ampere' }, tinyLimits);
    vi.stubGlobal('navigator', { gpu });
    try {
      const model = await loadModel(bytes);
      expect(model.info.backend).toMatchObject({ kind: 'cpu', requested: 'auto', adapter: { vendor: 'nvidia' } });
      expect(model.info.backend.reason).toMatch(/WebGPU cannot run this model/);
      expect(devices[0]?.destroy).toHaveBeenCalledOnce();
      expect(await model.run(barImage())).toHaveLength(10);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("throws TwnDeviceError when 'webgpu' was asked for", async () => {
    const { gpu, devices } = fakeGpu({ vendor: 'nvidia' }, tinyLimits);
    vi.stubGlobal('navigator', { gpu });
    try {
      await expect(loadModel(bytes, { backend: 'webgpu' })).rejects.toMatchObject({ name: 'TwnDeviceError', code: 'LIMIT_EXCEEDED' });
      expect(devices[0]?.destroy).toHaveBeenCalledOnce();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
