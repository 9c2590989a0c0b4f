/**
 * The CPU path against its peer: every shipped model (demo/models/models.json) on ONNX Runtime Web's WebAssembly
 * backend (its fp32 ONNX twin, one thread, SIMD) and on our fast CPU backend (the .twn file; WebAssembly SIMD and
 * JavaScript kernels, one thread), side by side in one process: rounds that run each contender in turn, medians of
 * each, and the largest logit difference between ORT and us. Prints a table; writes bench-results/cpu-peers.json.
 * `npm run bench:peers [-- --batches 1,8 --rounds 7]`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import type { Graph } from '../src/graph/ir.js';
import { mulberry32 } from '../src/models/random.js';
import { median } from './models.js';

const MODELS_DIR = 'demo/models';

interface Contender {
  readonly name: string;
  run(input: Float32Array, batch: number): Promise<Float32Array>;
}

interface Row {
  model: string;
  batch: number;
  ortMs: number;
  simdMs: number;
  jsMs: number;
  /** max |ours − ORT| over the logits, relative to max(1, max|ORT|). */
  maxRelativeDifference: number;
}

function shippedModels(): { file: string; onnx: string }[] {
  const catalog = JSON.parse(readFileSync(`${MODELS_DIR}/models.json`, 'utf8')) as { models: { file: string; onnx?: string }[] };
  return catalog.models.filter((model): model is { file: string; onnx: string } => typeof model.onnx === 'string');
}

function ours(graph: Graph, kernels: 'wasm-simd' | 'js'): Contender {
  const executor = new FastCpuExecutor({ kernels });
  if (executor.kernels !== kernels) throw new Error(`this Node cannot run the ${kernels} kernels`);
  const output = graph.outputs[0]!;
  return { name: kernels, run: async (input, batch) => executor.run(graph, input, batch).get(output)!.data };
}

async function onnxRuntime(path: string, sampleShape: readonly number[]): Promise<Contender> {
  const session = await ort.InferenceSession.create(readFileSync(path), { executionProviders: ['wasm'] });
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return {
    name: 'ort',
    async run(input, batch) {
      const feeds = { [inputName!]: new ort.Tensor('float32', input, [batch, ...sampleShape]) };
      return (await session.run(feeds))[outputName!]!.data as Float32Array;
    },
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function benchModel(file: string, onnx: string, batch: number, rounds: number): Promise<Row> {
  const graph = graphFromFile(readTwnFile(readFileSync(`${MODELS_DIR}/${file}`)));
  const sampleShape = graph.input.shape;
  const random = mulberry32(7);
  const input = Float32Array.from({ length: batch * sampleShape.reduce((a, b) => a * b, 1) }, random);
  const contenders = [await onnxRuntime(`${MODELS_DIR}/${onnx}`, sampleShape), ours(graph, 'wasm-simd'), ours(graph, 'js')];
  const outputs = await Promise.all(contenders.map((contender) => contender.run(input, batch))); // also warms up
  const reference = outputs[0]!;
  const scale = Math.max(1, ...reference.map(Math.abs));
  const maxRelativeDifference = Math.max(...outputs.slice(1).map((logits) => Math.max(...logits.map((value, i) => Math.abs(value - reference[i]!))))) / scale;
  const times = contenders.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, contender] of contenders.entries()) times[i]!.push(await timed(() => contender.run(input, batch)));
  }
  const [ortMs, simdMs, jsMs] = times.map(median) as [number, number, number];
  return { model: file, batch, ortMs, simdMs, jsMs, maxRelativeDifference };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { batches: { type: 'string', default: '1,8' }, rounds: { type: 'string', default: '7' } } });
  const batches = values.batches.split(',').map(Number);
  const rounds = Number(values.rounds);
  // One thread on both sides: our CPU backend runs on one thread (in a Web Worker in browsers).
  ort.env.wasm.numThreads = 1;
  const rows: Row[] = [];
  for (const { file, onnx } of shippedModels()) {
    for (const batch of batches) rows.push(await benchModel(file, onnx, batch, rounds));
  }
  console.log(`median ms over ${rounds} interleaved rounds; ONNX Runtime Web ${ort.env.versions.web} wasm, 1 thread; ours 1 thread; Node ${process.version}`);
  console.table(
    rows.map((row) => ({
      model: row.model,
      batch: row.batch,
      'ORT wasm ms': row.ortMs.toFixed(1),
      'ours simd ms': row.simdMs.toFixed(1),
      'ours js ms': row.jsMs.toFixed(1),
      'ORT / ours simd': `${(row.ortMs / row.simdMs).toFixed(2)}×`,
      'max rel diff': row.maxRelativeDifference.toExponential(1),
    })),
  );
  mkdirSync('bench-results', { recursive: true });
  const result = { node: process.version, ort: ort.env.versions.web, date: new Date().toISOString(), rounds, rows };
  writeFileSync('bench-results/cpu-peers.json', `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench-results/cpu-peers.json');
}

await main();
