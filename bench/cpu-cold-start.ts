/**
 * Cold start of the fast CPU backend in Node, split into its stages as the model loader runs them: model bytes →
 * parsed graph → optimized graph → executor (kernels compiled, helper threads starting) → batch 1 prepared (plan,
 * weight compilation, binding) → threads planned (helpers spawned; the loader does not wait for them to boot) → first
 * batch-1 result, then a second run for comparison, and when the helpers were ready (after the executor). Each repeat
 * runs in a fresh Node process; prints each stage's median wall ms and the load from `uptime`.
 * `npm run bench:cpu-cold-start [-- --models vgg7,resnet18-224 --threads 2 --repeats 5]`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { freshProcessRuns } from './fresh-process.js';
import { benchModelBytes } from './models.js';
import { machineLoad } from './report.js';
import { median } from './stats.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,vgg7,resnet18-224' },
    threads: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '5' },
    child: { type: 'string' },
  },
});

const threads = Number(flags.threads);
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads takes one whole number ≥ 1, got ${flags.threads}`);

const STAGES = ['parse', 'optimize', 'executor', 'prepare', 'threads planned', 'first run', 'second run'] as const;

/** One cold start in this process; prints each stage's milliseconds as JSON. */
async function coldStart(model: string): Promise<void> {
  const bytes = await benchModelBytes(model, (path) => readFile(path));
  const times: number[] = [];
  let last = performance.now();
  const stage = () => {
    const now = performance.now();
    times.push(now - last);
    last = now;
  };
  const parsed = graphFromFile(readTwnFile(bytes));
  stage();
  const graph = optimize(parsed);
  stage();
  const executor = new FastCpuExecutor({ threads });
  const made = performance.now();
  let helpersReadyMs = 0;
  void executor.threadInfo().then(() => (helpersReadyMs = performance.now() - made));
  stage();
  // As the model loader does (src/api/executor.ts): bind batch 1 while helpers start; they join runs when ready.
  executor.prepare(graph, 1);
  stage();
  await executor.threadsPlanned();
  stage();
  const input = new Float32Array(graph.input.shape.reduce((a, b) => a * b, 1)).fill(0.5);
  executor.run(graph, input, 1);
  stage();
  executor.run(graph, input, 1);
  stage();
  await executor.threadInfo();
  console.log(JSON.stringify([...times, helpersReadyMs]));
  executor.dispose();
}

function main(): void {
  console.log(`load: ${machineLoad()}`);
  const rows = flags.models.split(',').map((model) => {
    const runs = freshProcessRuns<number[]>(import.meta.url, model, ['--threads', flags.threads], Number(flags.repeats));
    const stages = Object.fromEntries(STAGES.map((name, i) => [name, median(runs.map((run) => run[i]!)).toFixed(1)]));
    const total = median(runs.map((run) => run.slice(0, STAGES.length - 1).reduce((a, b) => a + b, 0))).toFixed(1);
    const helpersReady = median(runs.map((run) => run[STAGES.length]!)).toFixed(1);
    return { model, ...stages, 'bytes → first result': total, 'helpers ready after executor': helpersReady };
  });
  console.log(`median ms of ${flags.repeats} fresh processes, ${flags.threads} thread(s)`);
  console.table(rows);
  console.log(`load: ${machineLoad()}`);
}

if (flags.child !== undefined) await coldStart(flags.child);
else main();
