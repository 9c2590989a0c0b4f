import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { crc32 } from '../../src/format/crc32.js';
import { buildLeNet5 } from '../../src/models/index.js';

let dir: string;
const path = (name: string) => join(dir, name);

/** A white "1" on black, as RGBA. */
function digitPixels(size: number): Buffer {
  const data = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const ink = x >= size * 0.42 && x < size * 0.58 && y >= size * 0.15 && y < size * 0.85 ? 255 : 0;
      data.set([ink, ink, ink, 255], (y * size + x) * 4);
    }
  }
  return data;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'twn-cli-'));
  writeFileSync(path('lenet5.twn'), buildLeNet5({ seed: 3 }));
  const png = new PNG({ width: 28, height: 28 });
  digitPixels(28).copy(png.data);
  writeFileSync(path('one.png'), PNG.sync.write(png));
  writeFileSync(path('one.jpg'), jpeg.encode({ width: 56, height: 56, data: digitPixels(56) }, 90).data);
  writeFileSync(path('notes.txt'), 'not an image');
  writeFileSync(path('broken.twn'), 'TWN?this is not a model');
  // A 3×5 PNG whose header claims 12000×12000 (a valid CRC, so the decoder believes it): pngjs would zero-fill 576 MB.
  const bomb = Buffer.from(PNG.sync.write(new PNG({ width: 3, height: 5 })));
  bomb.writeUInt32BE(12_000, 16);
  bomb.writeUInt32BE(12_000, 20);
  bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
  writeFileSync(path('bomb.png'), bomb);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe('twn classify', () => {
  it('prints the top-k classes for PNG and JPEG images', async () => {
    const { code, stdout, stderr } = await run('classify', path('lenet5.twn'), path('one.png'), path('one.jpg'), '--top', '3', '--backend', 'cpu');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^backend: cpu \(CPU backend requested; kernels: wasm-simd\)/);
    for (const image of ['one.png', 'one.jpg']) expect(stdout).toContain(path(image));
    expect(stdout.match(/^ {2}\d\. \d +\d+\.\d\d%$/gm)).toHaveLength(6);
  });

  it('emits JSON with --json', async () => {
    const { code, stdout } = await run('classify', path('lenet5.twn'), path('one.png'), '--json', '-k', '2', '-b', 'cpu');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { backend: { kind: string }; results: { predictions: { probability: number }[] }[] };
    expect(parsed.backend.kind).toBe('cpu');
    expect(parsed.results[0]!.predictions).toHaveLength(2);
  });
});

describe('twn inspect and bench', () => {
  it('inspect lists layers, sizes, sparsity, α and provenance', async () => {
    const { code, stdout } = await run('inspect', path('lenet5.twn'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/architecture +lenet5: NOT trained/);
    expect(stdout).toMatch(/size +\d+\.\d KiB file; \d+\.\d+ MiB as fp32 \(\d+\.\d× smaller\)/);
    expect(stdout).toMatch(/^conv1 +conv2d +32×1×5×5 +ternary2 +\d+\.\d%/m);
    expect(stdout).toMatch(/^fc2 +dense +10×512/m);
    expect(stdout).toContain('deltaRule');
  });

  it('inspect --json is the model info', async () => {
    const { stdout } = await run('inspect', path('lenet5.twn'), '--json');
    expect(JSON.parse(stdout)).toMatchObject({ inputShape: [1, 28, 28], metadata: { trained: false } });
  });

  it('bench reports latency and throughput', async () => {
    const { code, stdout } = await run('bench', path('lenet5.twn'), '--backend', 'cpu', '--runs', '2', '--warmup', '0', '--batch', '2');
    expect(code).toBe(0);
    expect(stdout).toMatch(/batch 2, 2 runs: mean [\d.]+ ms, median [\d.]+ ms, p95 [\d.]+ ms, [\d.]+ images\/s/);
  });
});

describe('twn errors: one line on stderr, non-zero exit', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['no command', [], 2, /no command given/],
    ['an unknown command', ['train', 'x'], 2, /unknown command 'train'/],
    ['an unknown option', ['inspect', 'm.twn', '--fast'], 2, /Unknown option '--fast'/],
    ['classify without images', ['classify', 'm.twn'], 2, /needs a model and at least one image/],
    ['a bad --top', ['classify', 'm.twn', 'a.png', '--top', '0'], 2, /--top must be an integer ≥ 1/],
    ['a non-numeric --top', ['classify', 'm.twn', 'a.png', '--top', 'many'], 2, /--top must be an integer/],
    ['a bad --backend', ['classify', 'm.twn', 'a.png', '--backend', 'metal'], 2, /--backend must be one of auto, webgpu, cpu/],
    ['an option of another command', ['inspect', 'm.twn', '--top', '3'], 2, /--top does not apply to 'inspect'/],
    ['a missing model', ['inspect', '/nonexistent/model.twn'], 1, /cannot read \/nonexistent\/model.twn: no such file/],
  ];
  it.each(cases)('%s', async (_, argv, exitCode, message) => {
    const { code, stdout, stderr } = await run(...argv);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^twn: error: [^\n]+\n$/);
    expect(stderr).toMatch(message);
  });

  it('a file that is not a model', async () => {
    const { code, stderr } = await run('inspect', path('broken.twn'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: .*broken\.twn: .*\[BAD_MAGIC\]\n$/);
  });

  it('an image that is neither PNG nor JPEG', async () => {
    const { code, stderr } = await run('classify', path('lenet5.twn'), path('notes.txt'), '--backend', 'cpu');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: .*notes\.txt: not a PNG or JPEG image\n$/);
  });

  it('a PNG whose header claims more than 100 megapixels, before decoding it', async () => {
    const { code, stderr } = await run('classify', path('lenet5.twn'), path('bomb.png'), '--backend', 'cpu');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: .*bomb\.png: 12000×12000 pixels is more than the 100-megapixel limit\n$/);
  });

  it('--help and --version succeed', async () => {
    expect((await run('--help')).stdout).toMatch(/^Usage:\n {2}twn classify/);
    expect((await run('--version')).code).toBe(0);
  });
});
