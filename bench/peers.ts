/**
 * `npm run bench:peers`: our backends against ONNX Runtime Web in one headless Chromium (/usr/bin/chromium, WebGPU
 * enabled), on the same weights (ONNX Runtime runs each .twn file's ONNX twin, bench/onnx/twin.ts). Suites:
 *   webgpu: ORT's WebGPU EP vs our WebGPU backend, same adapter;
 *   cpu:    ORT's WebAssembly EP vs our CPU backend, at each thread count (the page is cross-origin isolated, so ORT
 *           can start threads; ours reports the threads it ran with).
 * Serves bench/browser/ with Vite, opens one page per suite and thread count, and for each model and batch size
 * interleaves the two contenders over rounds. Prints the tables (bench/report.ts) and writes bench-results/peers.json.
 *
 *   npm run bench:peers -- [--suites webgpu,cpu] [--models lenet5,vgg7] [--batches 1,8] [--rounds 5] [--budget 30]
 *                          [--threads 1,2] [--precisions float32,int16] [--port 5190] [--out bench-results/peers.json]
 * --rounds caps the rounds per row (default: the model table's, fewer on WebGPU for the big nets); --budget stops
 * earlier once that many seconds of rounds have run (at least one round always runs). --precisions: the CPU suite
 * runs ours at each (float32 always; int16 as an extra contender in the worker, and the table notes where the model
 * does not offer it).
 */
import { availableParallelism } from 'node:os';
import { createReadStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { createServer, type Plugin } from 'vite';
import { benchModel } from './models.js';
import { machineLoad, report, type BenchRow } from './report.js';

const DEFAULT_MODELS: Readonly<Record<string, string>> = {
  webgpu: 'lenet5,vgg7,resnet18-224',
  cpu: 'lenet5-twn,vgg7-w05,vgg7,resnet18-224',
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
    port: { type: 'string', default: process.env.TWN_BENCH_PORT ?? '5190' },
    out: { type: 'string', default: 'bench-results/peers.json' },
  },
});

/** Cross-origin isolation, which SharedArrayBuffer (ORT's threads) needs; on every response, workers included. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** ONNX Runtime Web's dist/ files as they are under /ort/, untouched by Vite. */
function serveOnnxRuntime(): Plugin {
  const dist = resolve('node_modules/onnxruntime-web/dist');
  const types: Record<string, string> = {
    '.mjs': 'text/javascript',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
  };
  return {
    name: 'serve-onnxruntime-web',
    configureServer(server) {
      server.middlewares.use('/ort', (request, response, next) => {
        const file = join(dist, (request.url ?? '').split('?')[0]!);
        const extension = file.slice(file.lastIndexOf('.'));
        if (!file.startsWith(dist) || !existsSync(file) || types[extension] === undefined) return next();
        response.writeHead(200, { 'Content-Type': types[extension], ...ISOLATION_HEADERS });
        createReadStream(file).pipe(response);
      });
    },
  };
}

interface BenchPage {
  environment(): Promise<Record<string, unknown>>;
  benchOne(model: string, batches: number[], maxRounds: number, budgetMs: number): Promise<BenchRow[]>;
}

async function openSuite(page: Page, origin: string, suite: string, threads: number): Promise<Record<string, unknown>> {
  // Vite compiles the page's modules on first request, which takes minutes on a loaded 2-core machine.
  const query = `suite=${suite}&threads=${threads}&precisions=${flags.precisions}`;
  await page.goto(`${origin}/bench/browser/index.html?${query}`, { waitUntil: 'commit' });
  await page.waitForFunction(() => 'twnBench' in window, undefined, { timeout: 600_000 });
  return page.evaluate(() => (window as unknown as { twnBench: BenchPage }).twnBench.environment());
}

async function main(): Promise<void> {
  const suites = list(flags.suites);
  const batches = list(flags.batches).map(Number);
  for (const suite of suites) if (!(suite in DEFAULT_MODELS)) throw new Error(`unknown suite "${suite}" (webgpu, cpu)`);
  const modelsOf = (suite: string) => list(flags.models ?? DEFAULT_MODELS[suite]!);
  for (const suite of suites) modelsOf(suite).forEach(benchModel);

  const loadBefore = machineLoad();
  console.log(`load: ${loadBefore}`);
  const server = await createServer({
    configFile: false,
    root: resolve('.'),
    logLevel: 'warn',
    worker: { format: 'es' },
    // ONNX Runtime comes from /ort/; the one package the page imports through Vite is protobufjs (the ONNX twin is
    // written with the converter's schema), CommonJS, so it is pre-bundled into an ES module.
    optimizeDeps: { noDiscovery: true, include: ['protobufjs/light.js'] },
    plugins: [serveOnnxRuntime()],
    // No file watching or hot reload: a checkout changing under a long run must not reload the page mid-measurement.
    server: {
      host: '127.0.0.1',
      port: Number(flags.port),
      strictPort: true,
      headers: ISOLATION_HEADERS,
      hmr: false,
      watch: null,
    },
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--enable-unsafe-webgpu'] });
  const chromiumVersion = browser.version();
  const rows: BenchRow[] = [];
  const pages: Record<string, unknown>[] = [];
  try {
    for (const suite of suites) {
      for (const threads of suite === 'cpu' ? list(flags.threads).map(Number) : [1]) {
        const page = await browser.newPage();
        const tag = suite === 'cpu' ? `${suite} ×${threads}` : suite;
        page.on('console', (message) => console.log(`  [${tag}] ${message.text()}`));
        page.on('pageerror', (error) => console.error(`  [page error] ${error.message}`));
        const environment = await openSuite(page, `http://127.0.0.1:${flags.port}`, suite, threads);
        pages.push({ suite, threads, ...environment });
        console.log(`${suite}, ${threads} thread(s): ${JSON.stringify(environment)}`);
        for (const model of modelsOf(suite)) {
          const tableRounds = benchModel(model).iterations;
          const rounds = flags.rounds !== undefined ? Number(flags.rounds)
            : suite === 'webgpu' ? Math.min(tableRounds, WEBGPU_MAX_ROUNDS[model] ?? tableRounds) : tableRounds;
          const budgetMs = Number(flags.budget) * 1000;
          rows.push(...(await page.evaluate(
            ({ model, batches, rounds, budgetMs }) =>
              (window as unknown as { twnBench: BenchPage }).twnBench.benchOne(model, batches, rounds, budgetMs),
            { model, batches, rounds, budgetMs },
          )));
        }
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  report(flags.out, { node: process.version, chromium: chromiumVersion, pages }, loadBefore, rows);
}

await main();
