/**
 * Where a net's time goes on the fast CPU backend (WebAssembly SIMD kernels): each step's median over several runs,
 * grouped by op, so the linear layers' kernels can be told from everything else. With several precisions, one
 * executor per precision runs in turn (interleaved, so machine noise hits each alike) and the tables put them side
 * by side with the ratio to the first. Step times are this process's CPU time (user + system, all of its threads)
 * between steps, which other processes on a busy machine inflate far less than wall time; the whole run is also
 * given as wall time. Prints tables and the load from `uptime`.
 * `npm run bench:cpu-layers [-- --model resnet18-224 --runs 9 --batch 1 --threads 1 --precisions float32,int16]`.
 *
 * int16 runs on the file's calibration (docs/FORMAT.md §7.1): shipped files carry theirs, seeded ones are built
 * calibrated when int16 is asked for (bench/models.ts).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FastCpuExecutor, type Precision } from '../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { mulberry32 } from '../src/models/random.js';
import { planGraph } from '../src/plan/plan.js';
import { benchModelBytes } from './models.js';
import { machineLoad } from './report.js';
import { median } from './stats.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'resnet18-224' },
      runs: { type: 'string', default: '9' },
      batch: { type: 'string', default: '1' },
      threads: { type: 'string', default: '1' },
      precisions: { type: 'string', default: 'float32' },
    },
  });
  const batch = Number(values.batch);
  const precisions = values.precisions.split(',') as Precision[];
  const bytes = await benchModelBytes(values.model, (path) => readFile(path), { int16: precisions.includes('int16') });
  const graph = graphFromFile(readTwnFile(bytes));
  const plan = planGraph(optimize(graph), batch);
  const [channels, height, width] = plan.graph.input.shape;
  const input = Float32Array.from({ length: batch * channels * height * width }, mulberry32(7));
  /** This process's CPU time at the end of the last step (or the start of the run). */
  let lastCpu = 0;
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const contenders = precisions.map((precision) => {
    const times = new Map<string, { op: string; ms: number[] }>();
    const executor = new FastCpuExecutor({
      precision,
      threads: Number(values.threads),
      onStep: (node) => {
        const now = cpuMs();
        const entry = times.get(node.name) ?? { op: node.op, ms: [] };
        entry.ms.push(now - lastCpu);
        times.set(node.name, entry);
        lastCpu = now;
      },
    });
    if (executor.precision !== precision) throw new Error(`this engine cannot run ${precision}`);
    return { precision, executor, times, totals: [] as number[], cpuTotals: [] as number[] };
  });
  for (const { executor, times } of contenders) {
    await executor.threadInfo();
    executor.run(plan, input, batch); // binds the plan; not timed
    times.clear();
  }
  for (let run = 0; run < Number(values.runs); run++) {
    for (const { executor, totals, cpuTotals } of contenders) {
      const started = performance.now();
      const startedCpu = cpuMs();
      lastCpu = startedCpu;
      executor.run(plan, input, batch);
      totals.push(performance.now() - started);
      cpuTotals.push(cpuMs() - startedCpu);
    }
  }
  const first = contenders[0]!;
  const second = contenders[1];
  /** Columns of one row: each precision's ms, then the first's time over the second's. */
  const columns = (sums: readonly number[], what: string) => ({
    ...Object.fromEntries(contenders.map(({ precision }, i) => [`${precision} ${what}`, sums[i]!.toFixed(3)])),
    ...(second && { [`${first.precision} / ${second.precision}`]: `${(sums[0]! / sums[1]!).toFixed(2)}×` }),
  });
  const stepMedians = [...first.times].map(([name, { op }]) => ({
    name,
    op,
    medians: contenders.map(({ times }) => median(times.get(name)!.ms)),
  }));
  const byOp = new Map<string, number[]>();
  for (const { op, medians } of stepMedians) {
    const sums = byOp.get(op) ?? contenders.map(() => 0);
    byOp.set(op, sums.map((sum, i) => sum + medians[i]!));
  }
  const header = `${values.model} batch ${batch}, ${values.runs} runs interleaved, threads ${values.threads}`;
  console.log(`${header}; whole run medians, CPU time and wall time:`);
  console.table([
    { clock: 'CPU', ...columns(contenders.map(({ cpuTotals }) => median(cpuTotals)), 'ms') },
    { clock: 'wall', ...columns(contenders.map(({ totals }) => median(totals)), 'ms') },
  ]);
  console.table(stepMedians.map(({ name, op, medians }) => ({ step: name, op, ...columns(medians, 'CPU ms') })));
  console.table([...byOp].map(([op, sums]) => ({ op, ...columns(sums, 'CPU ms (sum of step medians)') })));
  console.log(`load: ${machineLoad()}`);
  for (const { executor } of contenders) executor.dispose();
}

await main();
