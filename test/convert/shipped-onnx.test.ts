/**
 * Every shipped model's ONNX twin (demo/models/<name>.onnx, written by tools/twn/export.py from the same checkpoint)
 * converts to a .twn model whose logits equal those of the shipped .twn file: the float64 CPU reference on the
 * converted graph against the exporter's float64 logits of the shipped file (`-reference.json`).
 *
 * The twins hold α·code·s (BatchNorm folded into the conv weight by PyTorch's exporter), so the converter finds
 * per-channel ternary weights where the shipped file has a per-layer α and a BatchNorm scale: the same products,
 * rounded once more to float32, hence a tolerance of 1e-5 rather than 1e-12.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { convertOnnx } from '../../src/convert/index.js';
import { loadReferenceRun, loadShippedGraph, SHIPPED_MODELS } from '../trained/shipped-models.js';
import { singleOutput } from '../trained/logits.js';

const TOLERANCE = 1e-5;
/** The float64 reference runs a half-width VGG-7 at a few seconds per image on a shared core. */
const IMAGES = 4;
/** As test/trained/reference-logits.test.ts: the VGG-7 case takes minutes on a loaded 2-core machine. */
const TIMEOUT_MS = 600_000;

const layerDtypes = (graph: ReturnType<typeof loadShippedGraph>) =>
  graph.nodes
    .filter((node) => node.op === 'conv2d' || node.op === 'dense')
    .map((node) => graph.tensors.get(node.params.weight!)!.dtype);

describe.each(SHIPPED_MODELS)('$file from its ONNX twin', (model) => {
  it("keeps each layer's weight ternary or f32 as the shipped file has it, and the logits within 1e-5", () => {
    const onnx = readFileSync(new URL(`../../demo/models/${model.file.replace(/\.twn$/, '.onnx')}`, import.meta.url));
    const { graph, report } = convertOnnx(new Uint8Array(onnx));
    const shipped = loadShippedGraph(model);
    expect(layerDtypes(graph)).toEqual(layerDtypes(shipped));
    expect(report.layers.map((layer) => layer.weight)).toEqual(
      layerDtypes(shipped).map((dtype) => (dtype === 'ternary2' ? 'ternary' : 'float')),
    );
    expect(graph.input.shape).toEqual(shipped.input.shape);
    graph.input.mean.forEach((mean, c) => expect(mean).toBeCloseTo(shipped.input.mean[c]!, 7));
    graph.input.std.forEach((std, c) => expect(std).toBeCloseTo(shipped.input.std[c]!, 7));

    const run = loadReferenceRun(model);
    const images = run.images.slice(0, IMAGES);
    const logits = singleOutput(graph, new CpuExecutor().run(graph, Float64Array.from(images.flat()), images.length));
    const expected = run.logits.slice(0, IMAGES).flat();
    const maxDiff = expected.reduce((max, value, i) => Math.max(max, Math.abs(logits[i]! - value)), 0);
    console.log(
      `${model.file}: converted from ONNX, max |logit − shipped| = ${maxDiff.toExponential(2)} over ${IMAGES} images`,
    );
    expect(logits.length).toBe(expected.length);
    expect(maxDiff).toBeLessThanOrEqual(TOLERANCE);
  }, TIMEOUT_MS);
});
