/**
 * `npm run bench [-- --models lenet5,vgg7 --batches 1,8 --iterations 5 --runners webgpu,cpu-reference]`
 *
 * Per model and runner: cold compile (prepare) time, the first run at batch 1, and the median warm latency at each
 * batch size (after one warm-up run at that size). Prints a table and writes bench-results/webgpu.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import type { Graph } from '../src/graph/ir.js';
import { BENCH_MODELS, benchModelBytes } from './models.js';
import { median } from './stats.js';
import { seededRandom } from '../src/models/random.js';
import { RUNNERS, type Runner } from './runners.js';

interface Measurement {
  model: string;
  runner: string;
  compileMs: number;
  firstRunMs: number;
  /** batch → median warm latency in ms. */
  warmMs: Record<number, number>;
  iterations: number;
}

const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: Object.keys(BENCH_MODELS).join(',') },
    batches: { type: 'string', default: '1,8' },
    iterations: { type: 'string' },
    runners: { type: 'string', default: Object.keys(RUNNERS).join(',') },
    out: { type: 'string', default: 'bench-results/webgpu.json' },
  },
});

async function time<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

function randomInput(graph: Graph, batch: number): Float32Array {
  const random = seededRandom(batch);
  return Float32Array.from({ length: batch * graph.input.shape.reduce((a, b) => a * b, 1) }, () => random.uniform(0, 1));
}

async function measure(model: string, graph: Graph, runner: Runner, batches: number[], iterations: number): Promise<Measurement> {
  const [prepared, compileMs] = await time(() => runner.prepare(graph));
  try {
    const [, firstRunMs] = await time(() => prepared.run(randomInput(graph, 1), 1));
    const warmMs: Record<number, number> = {};
    for (const batch of batches) {
      const input = randomInput(graph, batch);
      await prepared.run(input, batch);
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) samples.push((await time(() => prepared.run(input, batch)))[1]);
      warmMs[batch] = median(samples);
    }
    return { model, runner: runner.name, compileMs, firstRunMs, warmMs, iterations };
  } finally {
    prepared.dispose();
  }
}

function formatTable(measurements: Measurement[], batches: number[]): string {
  const header = ['model', 'runner', 'compile ms', 'first run ms', ...batches.map((b) => `batch ${b} ms`), ...batches.map((b) => `b${b} time ÷ webgpu`)];
  const rows = measurements.map((m) => {
    const webgpu = measurements.find((other) => other.model === m.model && other.runner === 'webgpu');
    return [
      m.model,
      m.runner,
      m.compileMs.toFixed(0),
      m.firstRunMs.toFixed(1),
      ...batches.map((b) => m.warmMs[b]!.toFixed(1)),
      ...batches.map((b) => (webgpu ? `${(m.warmMs[b]! / webgpu.warmMs[b]!).toFixed(2)}×` : '–')),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const batches = list(flags.batches).map(Number);
  const runners = list(flags.runners).map((name) => {
    const create = RUNNERS[name];
    if (create === undefined) throw new Error(`unknown runner "${name}" (known: ${Object.keys(RUNNERS).join(', ')})`);
    return create();
  });
  const environments: Record<string, string> = {};
  for (const runner of runners) environments[runner.name] = await runner.describe();
  for (const [name, description] of Object.entries(environments)) console.log(`${name}: ${description}`);

  const measurements: Measurement[] = [];
  for (const model of list(flags.models)) {
    const spec = BENCH_MODELS[model];
    if (spec === undefined) throw new Error(`unknown model "${model}" (known: ${Object.keys(BENCH_MODELS).join(', ')})`);
    const bytes = await benchModelBytes(model, async (path) => new Uint8Array(await readFile(path)));
    const graph = graphFromFile(readTwnFile(bytes));
    const iterations = flags.iterations === undefined ? spec.iterations : Number(flags.iterations);
    for (const runner of runners) {
      const measurement = await measure(model, graph, runner, batches, iterations);
      console.log(`${model} / ${runner.name}: ${JSON.stringify(measurement.warmMs)} ms`);
      measurements.push(measurement);
    }
  }
  for (const runner of runners) runner.close();

  console.log(`\n${formatTable(measurements, batches)}`);
  mkdirSync(flags.out.replace(/\/[^/]*$/, ''), { recursive: true });
  writeFileSync(flags.out, `${JSON.stringify({ date: new Date().toISOString(), environments, batches, measurements }, null, 2)}\n`);
  console.log(`\nwritten to ${flags.out}`);
}

await main();
