/**
 * A ternary network written in plain PyTorch (nn.Conv2d / nn.BatchNorm2d / nn.Linear, not tools/twn's modules),
 * exported by torch.onnx.export (tools/examples/plain_ternary_onnx.py, run here through the project's .venv),
 * converts with every layer packed ternary and reproduces PyTorch's float64 logits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { convertOnnx } from '../../src/convert/index.js';
import { singleOutput } from '../trained/logits.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = join(REPO, '.venv/bin/python');
/** PyTorch's exporter folds BatchNorm into the conv weights in float32; everything else is float64 on both sides. */
const TOLERANCE = 1e-5;

let dir: string;

beforeAll(() => {
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing: run bash tools/setup-venv.sh (scripts/setup.sh does)`);
  dir = mkdtempSync(join(tmpdir(), 'twn-plain-onnx-'));
  execFileSync(PYTHON, ['tools/examples/plain_ternary_onnx.py', '--out', join(dir, 'plain')], {
    cwd: REPO,
    stdio: 'pipe',
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('converts every conv and linear layer to exact ternary codes and reproduces the PyTorch logits', () => {
  const { graph, report } = convertOnnx(new Uint8Array(readFileSync(join(dir, 'plain.onnx'))));
  expect(report.layers.map(({ op, weight, granularity }) => [op, weight, granularity])).toEqual([
    ['conv2d', 'ternary', 'per-channel'],
    ['conv2d', 'ternary', 'per-channel'],
    ['conv2d', 'ternary', 'per-channel'],
    ['dense', 'ternary', 'per-layer'],
    ['dense', 'ternary', 'per-layer'],
  ]);
  expect(report.warnings).toEqual([]);
  expect(graph.input).toMatchObject({
    name: 'image',
    shape: [3, 16, 16],
    colorLayout: 'rgb',
    mean: [0.5, 0.45, 0.4],
    std: [0.25, 0.24, 0.26],
  });
  expect(graph.nodes.map((node) => node.op)).toEqual(expect.arrayContaining(['add', 'maxpool', 'avgpool', 'flatten']));

  const reference = JSON.parse(readFileSync(join(dir, 'plain-reference.json'), 'utf8')) as {
    images: number[][];
    logits: number[][];
  };
  const logits = singleOutput(
    graph,
    new CpuExecutor().run(graph, Float64Array.from(reference.images.flat()), reference.images.length),
  );
  const expected = reference.logits.flat();
  const scale = Math.max(1, ...expected.map(Math.abs));
  const maxDiff = expected.reduce((max, value, i) => Math.max(max, Math.abs(logits[i]! - value)), 0);
  console.log(
    `plain PyTorch ternary net via ONNX: max |logit − PyTorch float64| = ${maxDiff.toExponential(2)} ` +
      `(scale ${scale.toFixed(2)})`,
  );
  expect(logits.length).toBe(expected.length);
  expect(maxDiff / scale).toBeLessThanOrEqual(TOLERANCE);
});
