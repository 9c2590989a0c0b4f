/**
 * `npm run bench:peers`: our backends against ONNX Runtime Web in one headless Chromium (/usr/bin/chromium, WebGPU
 * enabled), on the same weights (ONNX Runtime runs each .twn file's ONNX twin, bench/onnx/twin.ts). Suites:
 *   webgpu: ORT's WebGPU EP vs our WebGPU backend, same adapter;
 *   cpu:    ORT's WebAssembly EP vs our CPU backend, at each thread count (the page is cross-origin isolated, so ORT
 *           can start threads; ours reports the threads it ran with).
 *   threads: our CPU backend in its worker at 1 thread vs the largest --threads, no peer, one page per --pauses value:
 *           milliseconds idle before each timed run (the other suites always pause SETTLE_MS, 50, in the page).
 * Builds bench/browser/ with `vite build` (one bundle with the CPU worker inlined, as an app using the library ships
 * it; Vite's dev server would hand every module to each new worker one request at a time, which cold starts would
 * count), serves it, opens one page per suite and thread count, and for each model and batch size interleaves the
 * contenders over rounds. Prints the tables (bench/report.ts) and writes bench-results/peers.json.
 *
 *   npm run bench:peers -- [--suites webgpu,cpu] [--models lenet5,vgg7] [--batches 1,8] [--rounds 5] [--budget 30]
 *                          [--threads 1,2] [--precisions float32,int16] [--pauses 0,50] [--port 5190]
 *                          [--out bench-results/peers.json]
 * --rounds caps the rounds per row (default: the model table's, fewer on WebGPU for the big nets); --budget stops
 * earlier once that many seconds of rounds have run (at least one round always runs). --precisions: the CPU suite
 * runs ours at each (float32 always; int16 as an extra contender in the worker, and the table notes where the model
 * does not offer it).
 */
import { availableParallelism } from 'node:os';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { build } from 'vite';
import { benchModel } from './models.js';
import { coresFree, machineLoad, report, type BenchRow } from './report.js';

const DEFAULT_MODELS: Readonly<Record<string, string>> = {
  webgpu: 'lenet5,vgg7,resnet18-224',
  cpu: 'lenet5-twn,vgg7-w05,vgg7,resnet18-224',
  threads: 'vgg7,resnet18-224',
};
/** Rounds on SwiftShader's WebGPU where the model table asks for more: ResNet-18 224 at batch 8 takes minutes. */
const WEBGPU_MAX_ROUNDS: Readonly<Record<string, number>> = { 'resnet18-224': 1, vgg7: 3 };

const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

const { values: flags } = parseArgs({
  options: {
    suites: { type: 'string', default: 'webgpu,cpu' },
    models: { type: 'string' },
    batches: { type: 'string', default: '1,8' },
    rounds: { type: 'string' },
    budget: { type: 'string', default: '30' },
    threads: { type: 'string', default: `1,${availableParallelism()}` },
    precisions: { type: 'string', default: 'float32,int16' },
    pauses: { type: 'string', default: '0,50' },
    port: { type: 'string', default: process.env.TWN_BENCH_PORT ?? '5190' },
    out: { type: 'string', default: 'bench-results/peers.json' },
  },
});

/**
 * After a page opens, before its first model: the renderer kept a core busy for 1-3 s after the page had loaded
 * (cores free 1.0-1.45 right away, 1.94 three seconds later).
 */
const PAGE_START_MS = 3000;

/** Cross-origin isolation, which SharedArrayBuffer (ORT's threads) needs; on every response, workers included. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Where the built page goes; its HTML keeps its repository path, bench/browser/index.html. */
const PAGE_DIR = resolve('dist/bench-peers-page');
const ORT_DIR = resolve('node_modules/onnxruntime-web/dist');
const REPOSITORY_DIR = resolve('.');
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
};

async function buildPage(): Promise<void> {
  await build({
    configFile: false,
    root: REPOSITORY_DIR,
    logLevel: 'warn',
    publicDir: false,
    worker: { format: 'es' },
    build: {
      outDir: PAGE_DIR,
      emptyOutDir: true,
      // The page awaits at its top level.
      target: 'es2022',
      rolldownOptions: { input: resolve('bench/browser/index.html') },
    },
  });
}

/** The file under `dir` that a URL path names, or undefined (outside `dir`, missing, or a folder). */
function fileUnder(dir: string, path: string): string | undefined {
  const file = join(dir, decodeURIComponent(path));
  if (!file.startsWith(dir + sep)) return undefined;
  return statSync(file, { throwIfNoEntry: false })?.isFile() ? file : undefined;
}

function sendFile(response: ServerResponse, file: string): void {
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
  createReadStream(file).pipe(response);
}

/**
 * The built page; ONNX Runtime Web's dist/ files untouched under /ort/ (bundling would move its module away from the
 * .wasm and worker files it loads next to itself); and repository files (the models the page fetches).
 */
function servePage(port: number): Promise<() => Promise<void>> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = path.startsWith('/ort/') ? fileUnder(ORT_DIR, path.slice('/ort'.length))
      : fileUnder(PAGE_DIR, path) ?? fileUnder(REPOSITORY_DIR, path);
    if (file === undefined) {
      response.writeHead(404, ISOLATION_HEADERS).end();
      return;
    }
    sendFile(response, file);
  });
  return new Promise((resolveListening, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolveListening(() => new Promise((closed) => server.close(() => closed()))));
  });
}

interface BenchPage {
  environment(): Promise<Record<string, unknown>>;
  benchOne(model: string, batches: number[], maxRounds: number, budgetMs: number): Promise<BenchRow[]>;
}

/** One page's settings: a suite, its thread count, and (threads suite) its pause before each run. */
interface PageSetting {
  readonly suite: string;
  readonly threads: number;
  readonly pause?: number;
}

/** The pages a suite runs in: cpu one per thread count, threads one per pause, webgpu one. */
function pagesOf(suite: string): PageSetting[] {
  const threads = list(flags.threads).map(Number);
  if (suite === 'cpu') return threads.map((count) => ({ suite, threads: count }));
  const most = Math.max(...threads);
  if (suite === 'threads') return list(flags.pauses).map((pause) => ({ suite, threads: most, pause: Number(pause) }));
  return [{ suite, threads: 1 }];
}

async function openSuite(page: Page, origin: string, setting: PageSetting): Promise<Record<string, unknown>> {
  const { suite, threads, pause } = setting;
  const query = `suite=${suite}&threads=${threads}&precisions=${flags.precisions}` +
    (pause === undefined ? '' : `&pause=${pause}`);
  await page.goto(`${origin}/bench/browser/index.html?${query}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => 'twnBench' in window, undefined, { timeout: 600_000 });
  return page.evaluate(() => (window as unknown as { twnBench: BenchPage }).twnBench.environment());
}

async function main(): Promise<void> {
  const suites = list(flags.suites);
  const batches = list(flags.batches).map(Number);
  for (const suite of suites) {
    if (!(suite in DEFAULT_MODELS)) throw new Error(`unknown suite "${suite}" (webgpu, cpu, threads)`);
  }
  const modelsOf = (suite: string) => list(flags.models ?? DEFAULT_MODELS[suite]!);
  for (const suite of suites) modelsOf(suite).forEach(benchModel);

  const loadBefore = machineLoad();
  console.log(`load: ${loadBefore}`);
  await buildPage();
  const closeServer = await servePage(Number(flags.port));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] });
  const chromiumVersion = browser.version();
  const rows: BenchRow[] = [];
  const pages: Record<string, unknown>[] = [];
  try {
    for (const suite of suites) {
      for (const setting of pagesOf(suite)) {
        const { threads, pause } = setting;
        const page = await browser.newPage();
        const tag = [suite, suite === 'webgpu' ? '' : ` ×${threads}`, pause === undefined ? '' : `, pause ${pause} ms`]
          .join('');
        page.on('console', (message) => console.log(`  [${tag}] ${message.text()}`));
        page.on('pageerror', (error) => console.error(`  [page error] ${error.message}`));
        const environment = await openSuite(page, `http://127.0.0.1:${flags.port}`, setting);
        // The renderer's own start-up work would be read as a busy core by the first model's cores-free reading.
        await page.waitForTimeout(PAGE_START_MS);
        pages.push({ ...setting, ...environment });
        console.log(`${tag}: ${JSON.stringify(environment)}`);
        for (const model of modelsOf(suite)) {
          const tableRounds = benchModel(model).iterations;
          const rounds = flags.rounds !== undefined ? Number(flags.rounds)
            : suite === 'webgpu' ? Math.min(tableRounds, WEBGPU_MAX_ROUNDS[model] ?? tableRounds) : tableRounds;
          const budgetMs = Number(flags.budget) * 1000;
          // Per model, with the page idle: the host's state changes within a run, and two threads suffer most.
          const free = coresFree();
          console.log(`${model}: cores free ${free?.toFixed(2) ?? 'unknown'} of ${availableParallelism()}`);
          const modelRows = await page.evaluate(
            ({ model, batches, rounds, budgetMs }) =>
              (window as unknown as { twnBench: BenchPage }).twnBench.benchOne(model, batches, rounds, budgetMs),
            { model, batches, rounds, budgetMs },
          );
          rows.push(...modelRows.map((row) => ({ ...row, ...(free !== undefined && { coresFree: free }) })));
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await closeServer();
  }
  report(flags.out, { node: process.version, chromium: chromiumVersion, pages }, loadBefore, rows);
}

await main();
