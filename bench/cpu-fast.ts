/**
 * FastCpuExecutor with its WebAssembly SIMD kernels and with its JavaScript kernels, against the float64 reference
 * (CpuExecutor), side by side in one process so machine noise hits all three: for each net at batch 1, rounds of one
 * reference run then several runs of each fast variant, medians of each, and a check that they agree. Prints a table;
 * writes bench-results/cpu.json. `npm run bench:cpu [-- --models lenet5,vgg7]`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CpuExecutor } from '../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { mulberry32 } from '../src/models/random.js';
import { planGraph } from '../src/plan/plan.js';
import { BENCH_MODELS, benchModelBytes } from './models.js';
import { median } from './stats.js';

const DEFAULT_NETS = ['lenet5', 'vgg7', 'resnet18-cifar'];

const ROUNDS = 5;
const FAST_RUNS_PER_ROUND = 4;
const BATCH = 1;

interface Row {
  net: string;
  batch: number;
  referenceMs: number;
  jsMs: number;
  simdMs: number;
  /** max |fast − reference| / max(1, max|reference|), the worse of the two kernel sets. */
  maxRelativeError: number;
  sameArgmax: boolean;
}

function timed(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

async function benchNet(net: string): Promise<Row> {
  const bytes = await benchModelBytes(net, async (path) => new Uint8Array(await readFile(path)));
  const plan = planGraph(optimize(graphFromFile(readTwnFile(bytes))), BATCH);
  const [channels, height, width] = plan.graph.input.shape;
  const random = mulberry32(42);
  const input = Float32Array.from({ length: BATCH * channels * height * width }, random);
  const output = plan.graph.outputs[0]!;
  const reference = new CpuExecutor();
  const js = new FastCpuExecutor({ kernels: 'js' });
  const simd = new FastCpuExecutor();
  if (simd.kernels !== 'wasm-simd') throw new Error('this Node has no WebAssembly SIMD');

  const expected = reference.run(plan, input, BATCH).get(output)!.data;
  const scale = Math.max(1, ...expected.map(Math.abs));
  const results = [js, simd].map((fast) => fast.run(plan, input, BATCH).get(output)!.data);
  const maxRelativeError = Math.max(...results.map((actual) => Math.max(...expected.map((e, i) => Math.abs(actual[i]! - e))) / scale));

  const referenceTimes: number[] = [];
  const jsTimes: number[] = [];
  const simdTimes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    referenceTimes.push(timed(() => reference.run(plan, input, BATCH)));
    for (let i = 0; i < FAST_RUNS_PER_ROUND; i++) {
      jsTimes.push(timed(() => js.run(plan, input, BATCH)));
      simdTimes.push(timed(() => simd.run(plan, input, BATCH)));
    }
  }
  return {
    net,
    batch: BATCH,
    referenceMs: median(referenceTimes),
    jsMs: median(jsTimes),
    simdMs: median(simdTimes),
    maxRelativeError,
    sameArgmax: results.every((actual) => argmax(actual) === argmax(expected)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { models: { type: 'string', default: DEFAULT_NETS.join(',') } } });
  const nets = values.models.split(',');
  const unknown = nets.filter((net) => !(net in BENCH_MODELS));
  if (unknown.length > 0) throw new Error(`unknown net(s) ${unknown.join(', ')}; choose from ${Object.keys(BENCH_MODELS).join(', ')}`);

  const rows: Row[] = [];
  for (const net of nets) rows.push(await benchNet(net));
  console.log(`median ms at batch ${BATCH}; ${ROUNDS} reference runs, ${ROUNDS * FAST_RUNS_PER_ROUND} runs of each fast variant, interleaved`);
  console.table(
    rows.map((row) => ({
      net: row.net,
      'reference ms': row.referenceMs.toFixed(1),
      'js ms': row.jsMs.toFixed(1),
      'wasm-simd ms': row.simdMs.toFixed(1),
      'simd vs js': `${(row.jsMs / row.simdMs).toFixed(1)}×`,
      'simd vs reference': `${(row.referenceMs / row.simdMs).toFixed(1)}×`,
      'max rel err': row.maxRelativeError.toExponential(1),
      'same argmax': row.sameArgmax,
    })),
  );
  mkdirSync('bench-results', { recursive: true });
  const result = { node: process.version, date: new Date().toISOString(), rounds: ROUNDS, fastRunsPerRound: FAST_RUNS_PER_ROUND, rows };
  writeFileSync('bench-results/cpu.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench-results/cpu.json');
}

await main();
