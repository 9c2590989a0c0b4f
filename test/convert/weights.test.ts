/** The already-ternary check on hand-worked weights, and --ternarize against the paper's rule (src/ternarize.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { convertOnnx, matchTernary } from '../../src/convert/index.js';
import { unpackTernary } from '../../src/format/ternary-pack.js';
import { mulberry32 } from '../../src/models/random.js';
import { ternarize } from '../../src/ternarize.js';
import { argmaxPerRow } from '../trained/logits.js';

describe('matchTernary', () => {
  it('finds one α for a tensor whose non-zero magnitudes are all equal', () => {
    const match = matchTernary(Float64Array.of(0.5, -0.5, 0, 0.5, 0, -0.5), 2, 1e-5);
    expect(match).toEqual({
      codes: Int8Array.of(1, -1, 0, 1, 0, -1),
      alpha: Float32Array.of(0.5),
      granularity: 'per-layer',
    });
  });

  it('falls back to one α per output channel, an all-zero channel getting α = 0', () => {
    const match = matchTernary(Float64Array.of(0.5, -0.5, 0, 0.25, 0, 0, 0, 0, 0), 3, 1e-5);
    expect(match).toEqual({
      codes: Int8Array.of(1, -1, 0, 1, 0, 0, 0, 0, 0),
      alpha: Float32Array.of(0.5, 0.25, 0),
      granularity: 'per-channel',
    });
  });

  it('accepts magnitudes within the relative tolerance of their mean, and nothing further off', () => {
    expect(matchTernary(Float64Array.of(0.5, -0.5 * (1 + 8e-6)), 1, 1e-5)?.codes).toEqual(Int8Array.of(1, -1));
    expect(matchTernary(Float64Array.of(0.5, -0.5 * (1 + 3e-5)), 1, 1e-5)).toBeUndefined();
    expect(matchTernary(Float64Array.of(0.5, -0.5 * (1 + 3e-5)), 1, 1e-4)?.alpha[0]).toBeCloseTo(0.5, 4);
  });

  it('rejects float weights', () => {
    const random = mulberry32(7);
    expect(
      matchTernary(
        Float64Array.from({ length: 64 }, () => random() - 0.5),
        4,
        1e-5,
      ),
    ).toBeUndefined();
  });
});

describe('convertOnnx with ternarize', () => {
  const onnx = new Uint8Array(readFileSync(new URL('../../demo/models/lenet5-fp.onnx', import.meta.url)));
  const first = '/model/body/conv1/conv/Conv';
  const last = '/model/body/fc2/Gemm';

  it("ternarizes by the paper's rule, keeps the named layers f32, and measures the agreement it reports", () => {
    const float = convertOnnx(onnx);
    const { graph, report } = convertOnnx(onnx, {
      ternarize: true,
      keepFloat: [first, last],
      granularity: 'per-layer',
      agreementSamples: 8,
      seed: 3,
    });
    expect(report.layers.map((layer) => layer.weight)).toEqual(['float', 'ternarized', 'ternarized', 'float']);
    expect(graph.metadata).toMatchObject({
      weightMode: 'ternary',
      deltaRule: '0.7*mean|W|',
      fullPrecisionLayers: [first, last],
    });

    for (const layer of graph.nodes.filter((node) => node.op === 'conv2d' || node.op === 'dense')) {
      const weight = graph.tensors.get(layer.params.weight!)!;
      const source = float.graph.tensors.get(
        float.graph.nodes.find((node) => node.name === layer.name)!.params.weight!,
      )!;
      if (weight.dtype === 'f32') {
        expect(weight.data).toEqual(source.data);
        continue;
      }
      const expected = ternarize(source.data as Float32Array, source.shape, 'per-layer');
      expect(unpackTernary(weight.data as Uint32Array, weight.shape)).toEqual(expected.codes);
      expect(graph.tensors.get(layer.params.alpha!)!.data).toEqual(expected.alpha);
    }

    // The agreement, recomputed here in float64 on the same 8 seeded inputs as the converter draws them.
    const random = mulberry32(3);
    const images = Float64Array.from({ length: 8 * 28 * 28 }, () => Math.fround(random()));
    const ours = new CpuExecutor().run(graph, images, 8).get('logits')!.data;
    const theirs = new CpuExecutor().run(float.graph, images, 8).get('logits')!.data;
    const same = argmaxPerRow(ours, 8).filter((label, i) => label === argmaxPerRow(theirs, 8)[i]).length;
    const maxDiff = ours.reduce((max, value, i) => Math.max(max, Math.abs(value - theirs[i]!)), 0);
    expect(report.agreement).toMatchObject({ samples: 8, seed: 3 });
    expect(report.agreement!.top1).toBeCloseTo(same / 8, 1);
    expect(report.agreement!.maxLogitDiff).toBeCloseTo(maxDiff, 2);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(/ternarized 2 float layer\(s\) .* top-1 agreement .* max \|output difference\|/);
  });

  it('leaves weights that are already ternary exactly as they are', () => {
    const twn = new Uint8Array(readFileSync(new URL('../../demo/models/lenet5-twn.onnx', import.meta.url)));
    const { report } = convertOnnx(twn, { ternarize: true });
    expect(report.layers.every((layer) => layer.weight === 'ternary')).toBe(true);
    expect(report.agreement).toBeUndefined();
  });
});
