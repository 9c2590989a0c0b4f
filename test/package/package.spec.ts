import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { expect, test } from '@playwright/test';
import { buildLeNet5 } from '../../src/models/index.js';
import { freePort, packRepository, preview, REPO, run, writeScratchApp } from './scratch-app.js';

interface CliResult {
  results: { predictions: { index: number; probability: number }[] }[];
}

test.describe.configure({ mode: 'serial', timeout: 600_000 });

let root: string;
let app: string;
let server: ChildProcess | undefined;
let base: string;
let packedFiles: string;

test.beforeAll(async () => {
  // Outside the repository, so nothing resolves through the repo's own node_modules.
  root = mkdtempSync(join(tmpdir(), 'twn-package-'));
  app = join(root, 'app');
  mkdirSync(app);
  const tarball = packRepository(root);
  packedFiles = run('tar', ['-tzf', tarball], root);
  writeScratchApp(app, tarball, buildLeNet5({ seed: 5 }), join(REPO, 'demo/public/gallery/mnist-00000.png'));
  // vite and @types/node are in the npm cache already. Optional dependencies stay: vite's bundler ships its native
  // binding as one.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node.json'], app);
  run(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], app);
  const port = await freePort();
  server = await preview(app, port);
  base = `http://127.0.0.1:${port}`;
});

test.afterAll(() => {
  server?.kill();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the tarball holds the built library, its types and the CLI, and nothing else', () => {
  const files = packedFiles.trim().split('\n');
  expect(files).toContain('package/dist/lib/index.js');
  expect(files).toContain('package/dist/lib/cli.js');
  expect(files).toContain('package/dist/types/index.d.ts');
  expect(files).toContain('package/dist/lib/node.js');
  expect(files).toContain('package/dist/types/node/index.d.ts');
  expect(files).toContain('package/LICENSE');
  expect(
    files.filter((file) => !/^package\/(dist\/(lib|types)\/|package\.json$|README\.md$|LICENSE)/.test(file)),
  ).toEqual([]);
});

/** The installed CLI's top 3 for the scratch app's digit, on the CPU: what every other entry point must agree with. */
function cliPredictions(): CliResult['results'][number]['predictions'] {
  const cli = JSON.parse(
    run(
      join(app, 'node_modules/.bin/twn'),
      ['classify', 'public/model.twn', 'public/digit.png', '--top', '3', '--backend', 'cpu', '--json'],
      app,
    ),
  ) as CliResult;
  return cli.results[0]!.predictions;
}

test('a Vite app built from the tarball classifies an image in the browser, as the CLI does in Node', async ({
  page,
}) => {
  const expected = cliPredictions();
  for (const [backend, cpuWorker] of [
    ['auto', undefined],
    ['webgpu', undefined],
    ['auto', true],
  ] as const) {
    await page.goto(`${base}/?backend=${backend}${cpuWorker === undefined ? '' : `&cpuWorker=${cpuWorker}`}`);
    await expect(page.locator('#result, #error').filter({ hasText: /./ })).toBeVisible({ timeout: 120_000 });
    expect(await page.locator('#error').textContent()).toBe('');
    const shown = JSON.parse((await page.locator('#result').textContent()) ?? '') as {
      backend: string;
      thread: string;
      kernels?: string;
      predictions: { index: number; probability: number }[];
    };
    if (backend === 'webgpu') expect(shown.backend).toBe('webgpu');
    // The CPU backend (auto on a software adapter) runs LeNet-5's short runs on the page's thread, on WebAssembly
    // SIMD; the worker inlined into the package runs when asked for.
    else if (shown.backend === 'cpu')
      expect([shown.thread, shown.kernels]).toEqual([cpuWorker ? 'worker' : 'main', 'wasm-simd']);
    expect(shown.predictions.map((p) => p.index)).toEqual(expected.map((p) => p.index));
    shown.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(expected[i]!.probability, 3));
  }
});

test('a browser app installs no Dawn: webgpu is an optional peer dependency', () => {
  expect(existsSync(join(app, 'node_modules/webgpu'))).toBe(false);
  expect(existsSync(join(app, 'node_modules/twn-webgpu/package.json'))).toBe(true);
});

test('in Node, twn-webgpu/node loads a model by path and classifies PNG bytes as the CLI does', () => {
  const expected = cliPredictions();
  const shown = JSON.parse(
    run(process.execPath, ['node-build/node.js', 'public/model.twn', 'public/digit.png'], app),
  ) as {
    thread: string;
    predictions: { index: number; probability: number }[];
  };
  expect(shown.thread).toBe('main');
  expect(shown.predictions.map((p) => p.index)).toEqual(expected.map((p) => p.index));
});

test('twn-webgpu/convert and twn convert write the same .twn from ONNX; the runtime entry has no protobuf', () => {
  const converted = run(process.execPath, ['node-build/convert.js', 'public/model.onnx', 'library.twn'], app);
  const shown = JSON.parse(converted) as {
    layers: string[];
    error: string;
  };
  expect(shown).toEqual({ layers: ['ternary', 'ternary', 'ternary', 'ternary'], error: 'TwnConvertError' });
  const twn = join(app, 'node_modules/.bin/twn');
  expect(run(twn, ['convert', 'public/model.onnx', '-o', 'cli.twn'], app)).toMatch(/^wrote cli\.twn/);
  expect(readFileSync(join(app, 'cli.twn')).equals(readFileSync(join(app, 'library.twn')))).toBe(true);
  expect(run(twn, ['inspect', 'cli.twn'], app)).toMatch(/ternary2/);

  // Every module the browser entry loads, followed through its relative imports: none is protobufjs.
  const lib = join(app, 'node_modules/twn-webgpu/dist/lib');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(lib, file), 'utf8');
    expect(code, file).not.toContain('node_modules/protobufjs');
    for (const [, target] of code.matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
      visit(posix.join(posix.dirname(file), target!));
    }
  };
  visit('index.js');
  expect(seen.size).toBeGreaterThan(1);
});

test('the installed CLI inspects a model and fails in one line on a bad one', () => {
  expect(run(join(app, 'node_modules/.bin/twn'), ['inspect', 'public/model.twn'], app)).toMatch(/^conv1 +conv2d/m);
  let failure: { status?: number; stderr?: string } = {};
  try {
    run(join(app, 'node_modules/.bin/twn'), ['inspect', 'public/digit.png'], app);
  } catch (error) {
    failure = error as typeof failure;
  }
  expect(failure.status).toBe(1);
  expect(failure.stderr).toMatch(/^twn: error: public\/digit\.png: .*\[BAD_MAGIC\]\n$/);
});
