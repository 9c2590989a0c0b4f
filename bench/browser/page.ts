/**
 * The peer benchmark's page (driven by bench/peers.ts through Playwright): one suite per page load, because ONNX
 * Runtime fixes its WebAssembly thread count when it first starts. `?suite=webgpu`: ONNX Runtime Web's WebGPU EP
 * against our WebGPU backend on the page's adapter. `?suite=cpu&threads=N`: ONNX Runtime Web's WebAssembly EP at N
 * threads against our CPU backend asked for N threads. Both sides get the same weights: ONNX Runtime runs the ONNX
 * twin of the .twn file it is compared with. `?suite=threads&threads=N&pause=MS`: our CPU backend in its worker at one
 * thread against N threads, by turns, with MS milliseconds idle before each run (0: back to back); no peer.
 */
import type * as OrtModule from 'onnxruntime-web';
import { loadModel, type LoadOptions, type TwnModel } from '../../src/index.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { mulberry32 } from '../../src/models/random.js';
import { benchModelBytes } from '../models.js';
import { onnxTwin } from '../onnx/twin.js';
import type { BenchRow, ContenderResult } from '../report.js';
import { benchInput, maxRelativeDifference, median, moreRounds } from '../stats.js';

type Ort = typeof OrtModule;
type Suite = 'webgpu' | 'cpu' | 'threads';

interface Contender {
  readonly name: string;
  /** The activation precision it computes in ('float32' for ORT). */
  readonly precision: string;
  /** Builds the session or model from bytes in memory; cold start = this plus the first run. */
  create(): Promise<void>;
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  /** Where it differs from what was asked, what actually ran (read back after `create`), for the table. */
  note(): string | undefined;
  /** How it runs, for the log. */
  describe(): string;
  dispose(): Promise<void>;
}

const query = new URLSearchParams(location.search);
const suite = (query.get('suite') ?? 'webgpu') as Suite;
const threads = Number(query.get('threads') ?? 1);
/** Threads suite: milliseconds idle before each timed run (the other suites: SETTLE_MS). */
const pauseMs = query.has('pause') ? Number(query.get('pause')) : undefined;
/** CPU suite: the activation precisions our backend is run at, each as its own contender ('float32', 'int16'). */
const precisions = (query.get('precisions') ?? 'float32').split(',').filter(Boolean);

// Served unbundled by bench/peers.ts under /ort/ (Vite's dependency bundling would move the module away from the
// .wasm and worker files it loads next to itself).
// Not in the threads suite, which has no peer: the engine's work on ORT's module would take a core from its rows.
const ort: Ort | undefined = suite === 'threads' ? undefined
  : await import(/* @vite-ignore */ `${location.origin}/ort/ort.webgpu.min.mjs`);
if (ort) {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = threads;
}

function onnxRuntime(
  ort: Ort,
  name: string,
  twin: Uint8Array,
  inputName: string,
  sampleShape: readonly number[],
): Contender {
  let session: OrtModule.InferenceSession | undefined;
  const executionProviders = [suite === 'webgpu' ? 'webgpu' : 'wasm'];
  return {
    name,
    precision: 'float32',
    async create() {
      session = await ort.InferenceSession.create(twin, { executionProviders });
    },
    async run(input, batch) {
      const feeds = { [inputName]: new ort.Tensor('float32', input, [batch, ...sampleShape]) };
      const output = (await session!.run(feeds))[session!.outputNames[0]!]!;
      return output.data as Float32Array;
    },
    note: () => undefined,
    describe: () => ` (${executionProviders[0]} EP, ${ort.env.wasm.numThreads} WebAssembly threads)`,
    dispose: async () => session?.release(),
  };
}

/** `cpuWorker` undefined: where the backend puts it by default (the table notes which thread it chose). */
function ours(name: string, bytes: Uint8Array, cpuWorker?: boolean, precision = 'float32', asked = threads): Contender {
  let model: TwnModel | undefined;
  // `threads` and `precision` are passed as asked; the backend reports in info.backend what it ran with.
  const options = (suite === 'webgpu' ? { backend: 'webgpu' }
    : { backend: 'cpu', threads: asked, cpuWorker, precision }) as LoadOptions;
  return {
    name,
    precision,
    async create() {
      model = await loadModel(bytes, options);
    },
    run: (input, batch) => model!.run(input, batch),
    note() {
      if (suite === 'webgpu') return undefined;
      const backend = model!.info.backend as { threads?: number; precision?: string; thread: string };
      const ran = backend.threads ?? 1;
      const notes = [
        ...(cpuWorker === undefined ? [backend.thread === 'worker' ? 'in the worker' : "on the page's thread"] : []),
        ...(ran !== asked ? [`ran ${ran} thread${ran === 1 ? '' : 's'}`] : []),
        ...((backend.precision ?? 'float32') !== precision ? [`ran ${backend.precision ?? 'float32'}`] : []),
      ];
      return notes.length > 0 ? notes.join(', ') : undefined;
    },
    describe: () => ` (${JSON.stringify(model!.info.backend)})`,
    dispose: async () => model?.dispose(),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

async function fetchRepositoryFile(path: string): Promise<Uint8Array> {
  const response = await fetch(`/${path}`);
  if (!response.ok) throw new Error(`GET /${path}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A pause before each timed run: thread pools spin for a while after a run (ORT's WebAssembly threads by default,
 * ours briefly), and on a 2-core machine a spinning pool of the previous contender would take a core from the next.
 */
const SETTLE_MS = 50;
/**
 * Before each cold start a longer pause: the engine keeps compiling a contender's WebAssembly in the background after
 * its session starts (ORT's optimising tier took seconds here), which would be charged to the next cold start.
 */
const COLD_SETTLE_MS = 3000;
const settle = (milliseconds = pauseMs ?? SETTLE_MS) =>
  milliseconds > 0 ? new Promise((resolve) => setTimeout(resolve, milliseconds)) : Promise.resolve();

/** Warm-up before timing: at least one run, then more until a second has passed (JIT tiers, caches), ≤ 200. */
const WARM_UP_MS = 1000;
const MAX_WARM_UP_RUNS = 200;

async function warmUp(contender: Contender, input: Float32Array, batch: number): Promise<Float32Array> {
  const started = performance.now();
  let output = await contender.run(input, batch);
  for (let runs = 1; runs < MAX_WARM_UP_RUNS && performance.now() - started < WARM_UP_MS; runs++) {
    output = await contender.run(input, batch);
  }
  return output;
}

/**
 * One model: each contender is created and run once at the first batch size (its cold start), then per batch size
 * a warm-up of each (its output is what is compared) and rounds that run every contender in turn, until
 * `maxRounds` or `budgetMs`.
 */
async function benchOne(
  model: string,
  batches: readonly number[],
  maxRounds: number,
  budgetMs: number,
): Promise<BenchRow[]> {
  const int16 = suite === 'cpu' && precisions.includes('int16');
  const bytes = await benchModelBytes(model, fetchRepositoryFile, { int16 });
  const graph = optimize(graphFromFile(readTwnFile(bytes)));
  const sampleShape = graph.input.shape;
  const contenders = suite === 'threads' ? [
    // In the worker, where the backend runs models this size by default.
    ours('ours cpu worker ×1', bytes, true, 'float32', 1),
    ours(`ours cpu worker ×${threads}`, bytes, true, 'float32', threads),
  ] : [
    onnxRuntime(ort!, suite === 'webgpu' ? 'ORT webgpu' : 'ORT wasm', onnxTwin(graph), graph.input.name, sampleShape),
    ...(suite === 'webgpu'
      ? [ours('ours webgpu', bytes)]
      // As users get it (by default the page's thread for short runs, the worker for long ones), then forced into its
      // Web Worker and onto the page's thread like ORT, which shows what the hand-offs cost; other precisions by
      // default only.
      : [
        ours('ours cpu', bytes),
        ours('ours cpu worker', bytes, true),
        ours('ours cpu page', bytes, false),
        ...precisions.filter((p) => p !== 'float32').map((p) => ours(`ours cpu ${p}`, bytes, undefined, p)),
      ]),
  ];
  try {
    const firstBatch = batches[0]!;
    const firstInput = benchInput(sampleShape, firstBatch, mulberry32(firstBatch));
    // Ours first and the peer last: ORT's optimising compile of its large module ran on in the background for more
    // than COLD_SETTLE_MS at load 5 (the contender after it took up to 2× its later cold starts), ours is done in
    // milliseconds. The peer's first session in the page still pays its module's baseline compile, as users' would.
    const coldOrder = [...contenders.keys()].slice(1).concat(0);
    const coldStartMs: number[] = [];
    for (const i of coldOrder) {
      const contender = contenders[i]!;
      await settle(COLD_SETTLE_MS);
      const [, elapsed] = await timed(async () => {
        await contender.create();
        await contender.run(firstInput, firstBatch);
      });
      coldStartMs[i] = elapsed;
      console.log(`${model}: ${contender.name} cold start ${elapsed.toFixed(0)} ms${contender.describe()}`);
    }
    const rows: BenchRow[] = [];
    for (const batch of batches) {
      const input = benchInput(sampleShape, batch, mulberry32(batch));
      const outputs: Float32Array[] = [];
      for (const contender of contenders) outputs.push(await warmUp(contender, input, batch));
      const times = contenders.map(() => [] as number[]);
      const started = performance.now();
      for (let round = 0; moreRounds(round, performance.now() - started, maxRounds, budgetMs); round++) {
        for (const [i, contender] of contenders.entries()) {
          await settle();
          times[i]!.push((await timed(() => contender.run(input, batch)))[1]);
        }
      }
      // Ours at int16 computes on quantised activations: its difference is reported apart from the float ones.
      const quantised = contenders.map((contender) => contender.precision !== 'float32');
      const results: ContenderResult[] = contenders.map((contender, i) => ({
        name: contender.name,
        medianMs: median(times[i]!),
        runs: times[i]!.length,
        ...(batch === firstBatch && { coldStartMs: coldStartMs[i] }),
        ...(contender.note() !== undefined && { note: contender.note() }),
        ...(quantised[i] && { relativeDifference: maxRelativeDifference(outputs[0]!, [outputs[i]!]) }),
      }));
      const row: BenchRow = {
        suite: suite === 'webgpu' ? 'WebGPU in Chromium' : suite === 'cpu' ? 'CPU in Chromium'
          : `CPU threads in Chromium, ${pauseMs ? `${pauseMs} ms idle before each run` : 'runs back to back'}`,
        model,
        batch,
        ...(suite !== 'webgpu' && { threads }),
        results,
        maxRelativeDifference: maxRelativeDifference(outputs[0]!, outputs.slice(1).filter((_, i) => !quantised[i + 1])),
      };
      console.log(`${model} batch ${batch}: ${results.map((r) => `${r.name} ${r.medianMs.toFixed(1)} ms`).join(', ')}`);
      rows.push(row);
    }
    return rows;
  } finally {
    for (const contender of contenders) await contender.dispose();
  }
}

async function environment(): Promise<Record<string, unknown>> {
  // The WebGPU suite's only: the CPU suites have no use for an adapter, whose start is work of its own in Chromium.
  const adapter = suite === 'webgpu' ? await navigator.gpu?.requestAdapter() : undefined;
  const info = adapter?.info;
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    ...(ort && { ort: ort.env.versions.web }),
    adapter: info && {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    },
  };
}

Object.assign(window, { twnBench: { environment, benchOne } });
