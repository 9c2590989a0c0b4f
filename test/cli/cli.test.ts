import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { backendLine } from '../../src/cli/inspect.js';
import type { ModelInfo } from '../../src/api/info.js';
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
  // Decoders fill what the data does not cover with zeros: a PNG without image data is a black picture to them.
  const one = readFileSync(path('one.png'));
  writeFileSync(path('no-idat.png'), rewritePng(one, (type) => type !== 'IDAT'));
  const halfRows = new PNG({ width: 28, height: 14 });
  writeFileSync(path('short-idat.png'), rewritePng(one, () => true, (type, data) => {
    if (type !== 'IDAT') return data;
    // The image data of a 28×14 picture under the 28×28 header: a complete zlib stream, half the rows.
    const half = PNG.sync.write(halfRows);
    return rewritePngData(half);
  }));
  // Sparse: the size is on record, no byte is written.
  writeFileSync(path('huge.twn'), '');
  truncateSync(path('huge.twn'), 300 * 2 ** 20);
  writeFileSync(path('huge.png'), '');
  truncateSync(path('huge.png'), 65 * 2 ** 20);
});

/** The IDAT data of a PNG written by pngjs (one IDAT chunk). */
function rewritePngData(png: Buffer): Buffer {
  let found = Buffer.alloc(0);
  rewritePng(png, (type) => type === 'IDAT', (_type, data) => (found = Buffer.from(data)));
  return found;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** PNG chunks re-assembled: `keep` decides which survive, `edit` may replace a chunk's data (its CRC is recomputed). */
function rewritePng(png: Buffer, keep: (type: string) => boolean, edit = (_: string, data: Buffer) => data): Buffer {
  const parts = [png.subarray(0, 8)];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    offset += 12 + length;
    if (!keep(type)) continue;
    const data = edit(type, png.subarray(offset - 4 - length, offset - 4));
    const chunk = Buffer.alloc(12 + data.length);
    chunk.writeUInt32BE(data.length, 0);
    chunk.write(type, 4, 'latin1');
    data.copy(chunk, 8);
    chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

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
    ['an unknown option', ['inspect', 'm.twn', '--fast'], 2, /error: unknown option '--fast' \(see twn --help\)\n$/],
    ['an option without its value', ['classify', 'm.twn', 'a.png', '--top'], 2, /error: --top needs a value \(see twn --help\)\n$/],
    ['a value for a flag', ['inspect', 'm.twn', '--json=yes'], 2, /error: --json takes no value \(see twn --help\)\n$/],
    ['a batch too large to bench', ['bench', 'm.twn', '--batch', '1000000'], 2, /--batch must be an integer from 1 to 4096/],
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
    expect(stderr).toMatch(/^twn: error: .*notes\.txt: not a PNG or JPEG image \[IMAGE_DECODE_FAILED\]\n$/);
  });

  it('a PNG whose header claims more than 100 megapixels, before decoding it', async () => {
    const { code, stderr } = await run('classify', path('lenet5.twn'), path('bomb.png'), '--backend', 'cpu');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: .*bomb\.png: 12000×12000 pixels is more than the 100-megapixel limit.*\[IMAGE_TOO_LARGE\]\n$/);
  });

  it.each([
    ['a PNG without image data', 'no-idat.png', /no-idat\.png: the PNG has no image data .*\[IMAGE_DECODE_FAILED\]/],
    ['a PNG with half its rows', 'short-idat.png', /short-idat\.png: .* short of its 28×28 pixels \[IMAGE_DECODE_FAILED\]/],
    ['an image file over 64 MiB, before reading it', 'huge.png', /huge\.png is 68157440 bytes, over .*\[IMAGE_TOO_LARGE\]/],
    ['a device that never ends', '/dev/zero', /cannot read \/dev\/zero: not a regular file/],
  ])('%s', async (_, image, message) => {
    const imagePath = image.startsWith('/') ? image : path(image);
    const { code, stdout, stderr } = await run('classify', path('lenet5.twn'), imagePath, '-b', 'cpu');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^twn: error: [^\n]+\n$/);
    expect(stderr).toMatch(message);
  });

  it('a model file over 256 MiB, before reading it', async () => {
    const { code, stderr } = await run('inspect', path('huge.twn'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: .*huge\.twn is 314572800 bytes, over the 268435456-byte .*\[MODEL_TOO_LARGE\]\n$/);
  });

  it('--help and --version succeed; --help shows the defaults', async () => {
    const help = (await run('--help')).stdout;
    expect(help).toMatch(/^Usage:\n {2}twn classify/);
    expect(help).toMatch(/--top K .*\(default 5\)/);
    expect(help).toMatch(/--backend B .*\(default auto\)/);
    expect(help).toMatch(/--batch N .*\(default 1\)/);
    expect(help).toMatch(/--runs N .*\(default 20\)/);
    expect(help).toMatch(/--warmup N .*\(default 3\)/);
    expect((await run('--version')).code).toBe(0);
  });
});

describe('twn classify with a model URL', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const model = readFileSync(path('lenet5.twn'));
    server = createServer((request, response) => {
      if (request.url === '/lenet5.twn') response.writeHead(200, { 'content-length': String(model.length) }).end(model);
      else response.writeHead(404).end('not here');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('downloads the model and classifies, as from the file', async () => {
    const fromUrl = await run('classify', `${base}/lenet5.twn`, path('one.png'), '-b', 'cpu', '--json');
    const fromFile = await run('classify', path('lenet5.twn'), path('one.png'), '-b', 'cpu', '--json');
    expect(fromUrl.stderr).toBe('');
    expect(fromUrl.code).toBe(0);
    type Printed = { results: { predictions: unknown }[] };
    const predictions = (output: string) => (JSON.parse(output) as Printed).results[0]!.predictions;
    expect(predictions(fromUrl.stdout)).toEqual(predictions(fromFile.stdout));
  });

  it('a missing model URL is one line naming it', async () => {
    const { code, stderr } = await run('inspect', `${base}/missing.twn`);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^twn: error: could not fetch http:\/\/127\.0\.0\.1:\d+\/missing\.twn: HTTP 404.*\[FETCH_FAILED\]\n$/);
  });
});

describe('the backend line', () => {
  it('names the adapter once, also when the reason already does', () => {
    const name = 'google · swiftshader';
    const adapter = { vendor: 'google', architecture: 'swiftshader', description: '', isSoftware: true, name };
    const reason = `the only WebGPU adapter is a software one (${name}), slower than the CPU backend`;
    const passedOver = { backend: { kind: 'cpu', requested: 'auto', reason, adapter, thread: 'main' } };
    const used = { backend: { kind: 'webgpu', requested: 'webgpu', reason: 'WebGPU backend requested', adapter, thread: 'main' } };
    for (const info of [passedOver, used]) {
      const line = backendLine(info as unknown as ModelInfo);
      expect(line.split(name)).toHaveLength(2);
    }
  });
});
