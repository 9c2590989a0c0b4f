/** `twn convert`: ONNX in, .twn out, a summary (or JSON) on stdout, one-line typed errors naming the node. */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readTwnFile } from '../../src/format/reader.js';
import { editedLeNet, nodeNamed } from '../convert/onnx-edits.js';

const LENET_ONNX = fileURLToPath(new URL('../../demo/models/lenet5-twn.onnx', import.meta.url));
const GALLERY = fileURLToPath(new URL('../../demo/public/gallery/', import.meta.url));
let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'twn-cli-convert-'));
  writeFileSync(path('digits.txt'), '0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
  writeFileSync(
    path('tanh.onnx'),
    editedLeNet((model) => (nodeNamed(model, '/model/body/conv1/Relu').opType = 'Tanh')),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('twn convert', () => {
  it('writes the .twn file with the given labels and prints what each layer became', async () => {
    const { code, stdout, stderr } = await run(
      'convert',
      LENET_ONNX,
      '-o',
      path('lenet.twn'),
      '--labels',
      path('digits.txt'),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^wrote .*lenet\.twn \(\d+ bytes\)\ninput: image \[1, 28, 28\] gray, mean \[0\.1307\], std \[0\.3081\]\n/,
    );
    expect(stdout).toContain('\noutputs: logits\n');
    expect(stdout).toMatch(
      /^ {2}conv2d +\/model\/body\/conv1\/conv\/Conv \[32, 1, 5, 5\]: ternary \(per-channel α\)$/m,
    );
    expect(stdout).toMatch(/^ {2}dense +\/model\/body\/fc2\/Gemm \[10, 512\]: ternary \(per-layer α\)$/m);
    const file = readTwnFile(new Uint8Array(readFileSync(path('lenet.twn'))));
    expect(file.input.labels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(file.metadata).toMatchObject({ weightMode: 'ternary', source: { format: 'onnx', opset: 17 } });
  });

  it('--json prints the conversion report', async () => {
    const { code, stdout } = await run('convert', LENET_ONNX, '-o', path('lenet.twn'), '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { layers: { weight: string }[]; warnings: string[] };
    expect(report.layers.map((layer) => layer.weight)).toEqual(['ternary', 'ternary', 'ternary', 'ternary']);
    expect(report.warnings).toEqual([]);
  });

  it('--ternarize measures the agreement on the --samples images and warns with it', async () => {
    const samples = path('samples');
    mkdirSync(samples);
    for (const name of ['mnist-00000.png', 'mnist-00001.png']) copyFileSync(join(GALLERY, name), join(samples, name));
    const fp = fileURLToPath(new URL('../../demo/models/lenet5-fp.onnx', import.meta.url));
    const { code, stdout } = await run(
      'convert',
      fp,
      '-o',
      path('fp.twn'),
      '--ternarize',
      '--keep-float',
      '/model/body/conv1/conv/Conv',
      '--samples',
      samples,
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      agreement: { samples: number; inputs: string; top1: number };
      warnings: string[];
    };
    expect(report.agreement).toMatchObject({ samples: 2, inputs: 'given' });
    expect(report.warnings[0]).toMatch(/ternarized 3 float layer\(s\) .* on 2 sample images, top-1 agreement/);
  });

  const failures: [string, string[], number, RegExp][] = [
    ['no output path', ['convert', 'm.onnx'], 2, /convert needs -o <model\.twn>/],
    [
      '--keep-float without --ternarize',
      ['convert', 'm.onnx', '-o', 'x.twn', '--keep-float', 'a'],
      2,
      /apply only with --ternarize/,
    ],
    [
      'a bad --granularity',
      ['convert', 'm.onnx', '-o', 'x.twn', '--ternarize', '--granularity', 'per-pixel'],
      2,
      /--granularity must be one of/,
    ],
    [
      'a bad --tolerance',
      ['convert', 'm.onnx', '-o', 'x.twn', '--tolerance', '2'],
      2,
      /--tolerance must be in \[0, 1\)/,
    ],
    [
      'a missing model',
      ['convert', '/nonexistent.onnx', '-o', 'x.twn'],
      1,
      /cannot read \/nonexistent\.onnx: no such file/,
    ],
  ];
  it.each(failures)('fails on %s', async (_, argv, exitCode, message) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^twn: error: [^\n]+\n$/);
    expect(stderr).toMatch(message);
  });

  it('rejects labels that do not number the classes', async () => {
    writeFileSync(path('three.txt'), 'a\nb\nc\n');
    const { code, stderr } = await run('convert', LENET_ONNX, '-o', path('x.twn'), '--labels', path('three.txt'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/labels: 3 labels, but output "logits" has 10 values per image.*\[BAD_LABELS\]\n$/);
  });

  it('names the file, the ONNX node and the error code of an unsupported model', async () => {
    const { code, stderr } = await run('convert', path('tanh.onnx'), '-o', path('x.twn'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: .*tanh\.onnx: node "\/model\/body\/conv1\/Relu": \(Tanh\) has no \.twn/);
    expect(stderr).toMatch(/\[UNSUPPORTED_OP\]\n$/);
  });
});
