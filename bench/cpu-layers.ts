/**
 * Where a net's time goes on the fast CPU backend (WebAssembly SIMD kernels): each step's median over several runs,
 * grouped by op, so the linear layers' kernels can be told from everything else. Prints tables.
 * `npm run bench:cpu-layers [-- --model resnet18-224 --runs 9 --threads 1]`.
 */
import { parseArgs } from 'node:util';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { optimize } from '../src/graph/passes/optimize.js';
import { mulberry32 } from '../src/models/random.js';
import { planGraph } from '../src/plan/plan.js';
import { readFile } from 'node:fs/promises';
import { benchModelBytes } from './models.js';
import { median } from './stats.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'resnet18-224' },
      runs: { type: 'string', default: '9' },
      batch: { type: 'string', default: '1' },
    },
  });
  const batch = Number(values.batch);
  const plan = planGraph(optimize(graphFromFile(readTwnFile(await benchModelBytes(values.model!, (path) => readFile(path))))), batch);
  const [channels, height, width] = plan.graph.input.shape;
  const input = Float32Array.from({ length: batch * channels * height * width }, mulberry32(7));
  const times = new Map<string, { op: string; ms: number[] }>();
  const totals: number[] = [];
  const executor = new FastCpuExecutor({
    onStep: (node, ms) => {
      const entry = times.get(node.name) ?? { op: node.op, ms: [] };
      entry.ms.push(ms);
      times.set(node.name, entry);
    },
  });
  executor.run(plan, input, batch); // binds the plan; not timed
  times.clear();
  for (let run = 0; run < Number(values.runs); run++) {
    const started = performance.now();
    executor.run(plan, input, batch);
    totals.push(performance.now() - started);
  }
  const steps = [...times].map(([name, { op, ms }]) => ({ step: name, op, 'median ms': median(ms) }));
  const byOp = new Map<string, number>();
  for (const step of steps) byOp.set(step.op, (byOp.get(step.op) ?? 0) + step['median ms']);
  console.log(`${values.model} batch ${batch}, ${values.runs} runs, kernels ${executor.kernels}; whole run median ${median(totals).toFixed(2)} ms`);
  console.table(steps.map((step) => ({ ...step, 'median ms': step['median ms'].toFixed(3) })));
  console.table([...byOp].map(([op, ms]) => ({ op, 'ms (sum of step medians)': ms.toFixed(2) })));
}

await main();
