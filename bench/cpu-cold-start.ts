/**
 * Cold start of the fast CPU backend in Node, split into its stages as the model loader runs them: model bytes →
 * parsed graph → optimized graph → executor (kernels compiled, helper threads starting) → batch 1 prepared (plan,
 * weight compilation, binding) → threads planned (helpers spawned; the loader does not wait for them to boot) → first
 * batch-1 result, then a second run for comparison, and when the helpers were ready (after the executor). Each repeat
 * runs in a fresh Node process; prints each stage's median wall ms and the load from `uptime`, then each stage's
 * median page faults (the process's minor faults: memory touched for the first time, which this project's VM charged
 * ~14 µs per 4 KiB page) and the executor's WebAssembly memory after `prepare` and after the first run.
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

/** What a child measures: per stage (STAGES) wall ms and minor page faults, and its executor's memory. */
interface ColdStart {
  readonly ms: number[];
  readonly faults: number[];
  readonly helpersReadyMs: number;
  readonly memoryAfterPrepare: number;
  readonly memoryAfterFirstRun: number;
}

/** One cold start in this process; prints each stage's milliseconds as JSON. */
async function coldStart(model: string): Promise<void> {
  const bytes = await benchModelBytes(model, (path) => readFile(path));
  const ms: number[] = [];
  const faults: number[] = [];
  let last = performance.now();
  let lastFaults = process.resourceUsage().minorPageFault;
  const stage = () => {
    const now = performance.now();
    const faultsNow = process.resourceUsage().minorPageFault;
    ms.push(now - last);
    faults.push(faultsNow - lastFaults);
    last = now;
    lastFaults = faultsNow;
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
  const memoryAfterPrepare = executor.wasmMemoryBytes;
  await executor.threadsPlanned();
  stage();
  const input = new Float32Array(graph.input.shape.reduce((a, b) => a * b, 1)).fill(0.5);
  executor.run(graph, input, 1);
  stage();
  const memoryAfterFirstRun = executor.wasmMemoryBytes;
  executor.run(graph, input, 1);
  stage();
  await executor.threadInfo();
  console.log(JSON.stringify({ ms, faults, helpersReadyMs, memoryAfterPrepare, memoryAfterFirstRun } satisfies ColdStart));
  executor.dispose();
}

function main(): void {
  console.log(`load: ${machineLoad()}`);
  const models = flags.models.split(',');
  const runs = models.map((model) =>
    freshProcessRuns<ColdStart>(import.meta.url, model, ['--threads', flags.threads], Number(flags.repeats)));
  const perStage = (model: string, measured: ColdStart[], value: (run: ColdStart) => number[], digits: number) =>
    Object.fromEntries([
      ['model', model],
      ...STAGES.map((name, i) => [name, median(measured.map((run) => value(run)[i]!)).toFixed(digits)]),
      ['bytes → first result', median(measured.map((run) => sum(value(run).slice(0, STAGES.length - 1)))).toFixed(digits)],
    ]);
  console.log(`median ms of ${flags.repeats} fresh processes, ${flags.threads} thread(s)`);
  console.table(models.map((model, m) => ({
    ...perStage(model, runs[m]!, (run) => run.ms, 1),
    'helpers ready after executor': median(runs[m]!.map((run) => run.helpersReadyMs)).toFixed(1),
  })));
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  console.log('median minor page faults (the whole process), and the WebAssembly memory in MiB');
  console.table(models.map((model, m) => ({
    ...perStage(model, runs[m]!, (run) => run.faults, 0),
    'memory after prepare': mib(median(runs[m]!.map((run) => run.memoryAfterPrepare))),
    'memory after first run': mib(median(runs[m]!.map((run) => run.memoryAfterFirstRun))),
  })));
  console.log(`load: ${machineLoad()}`);
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

if (flags.child !== undefined) await coldStart(flags.child);
else main();
