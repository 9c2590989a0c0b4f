/**
 * Our backends in Node, side by side: `npm run bench` (WebGPU through Dawn, the fast CPU backend, the float64
 * reference) and `npm run bench:gpu` (the same script for a machine with a GPU: WebGPU and the CPU backend, more
 * rounds). Per model: each runner's cold start (prepare + first run at the first batch size), then per batch size a
 * warm-up run of each (outputs compared) and interleaved rounds until `--rounds` or `--budget` seconds. Prints the
 * adapter (vendor, architecture, device, limits) and the table (bench/report.ts); writes JSON.
 *
 *   npm run bench -- [--models lenet5,vgg7] [--batches 1,8] [--rounds 5] [--budget 20] [--runners webgpu,cpu-fast]
 *                    [--out bench-results/webgpu.json]
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { mulberry32 } from '../src/models/random.js';
import { BENCH_MODELS, benchModel, benchModelBytes } from './models.js';
import { machineLoad, report, type BenchRow, type ContenderResult } from './report.js';
import { RUNNERS, type PreparedModel } from './runners.js';
import { benchInput, maxRelativeDifference, median, moreRounds } from './stats.js';

const list = (value: string) => value.split(',').map((item) => item.trim()).filter(Boolean);

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string', default: 'lenet5,vgg7,resnet18-cifar,resnet18-224' },
    batches: { type: 'string', default: '1,8' },
    rounds: { type: 'string' },
    budget: { type: 'string', default: '20' },
    runners: { type: 'string', default: Object.keys(RUNNERS).join(',') },
    out: { type: 'string', default: 'bench-results/webgpu.json' },
  },
});

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRECTORIES = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * A machine with a Vulkan driver lists it in an ICD directory and Dawn finds it; one without (this project's CI)
 * gets Chromium's SwiftShader, set before Dawn loads. An explicit VK_ICD_FILENAMES is kept.
 */
function chooseVulkanDriver(): string {
  if (process.env.VK_ICD_FILENAMES) return `VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}`;
  const installed = ICD_DIRECTORIES.filter(existsSync).flatMap((directory) =>
    readdirSync(directory).map((file) => `${directory}/${file}`),
  );
  if (installed.length > 0 || !existsSync(SWIFTSHADER_ICD)) {
    return `system Vulkan drivers: ${installed.join(', ') || 'none'}`;
  }
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return `no system Vulkan driver; VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

async function main(): Promise<void> {
  const batches = list(flags.batches).map(Number);
  const models = list(flags.models);
  models.forEach(benchModel);
  const budgetMs = Number(flags.budget) * 1000;
  const vulkan = chooseVulkanDriver();
  const runners = list(flags.runners).map((name) => {
    const create = RUNNERS[name];
    if (create === undefined) throw new Error(`unknown runner "${name}" (known: ${Object.keys(RUNNERS).join(', ')})`);
    return create();
  });
  const environments: Record<string, unknown> = {};
  for (const runner of runners) environments[runner.name] = await runner.describe();
  console.log(`Vulkan: ${vulkan}`);
  for (const [name, description] of Object.entries(environments)) {
    console.log(`${name}: ${JSON.stringify(description)}`);
  }
  const loadBefore = machineLoad();
  console.log(`load: ${loadBefore}`);

  const rows: BenchRow[] = [];
  for (const model of models) {
    const bytes = await benchModelBytes(model, async (path) => new Uint8Array(await readFile(path)));
    const graph = graphFromFile(readTwnFile(bytes));
    const maxRounds = flags.rounds === undefined ? BENCH_MODELS[model]!.iterations : Number(flags.rounds);
    const prepared: PreparedModel[] = [];
    const coldStartMs: number[] = [];
    try {
      const firstInput = benchInput(graph.input.shape, batches[0]!, mulberry32(batches[0]!));
      for (const runner of runners) {
        const [, elapsed] = await timed(async () => {
          const ready = await runner.prepare(graph);
          prepared.push(ready);
          await ready.run(firstInput, batches[0]!);
        });
        coldStartMs.push(elapsed);
      }
      for (const batch of batches) {
        const input = benchInput(graph.input.shape, batch, mulberry32(batch));
        const outputs: Float32Array[] = [];
        for (const ready of prepared) outputs.push(await ready.run(input, batch));
        const times = runners.map(() => [] as number[]);
        const started = performance.now();
        for (let round = 0; moreRounds(round, performance.now() - started, maxRounds, budgetMs); round++) {
          for (const [i, ready] of prepared.entries()) times[i]!.push((await timed(() => ready.run(input, batch)))[1]);
        }
        const results: ContenderResult[] = runners.map((runner, i) => ({
          name: runner.name,
          medianMs: median(times[i]!),
          runs: times[i]!.length,
          ...(batch === batches[0] && { coldStartMs: coldStartMs[i] }),
        }));
        const summary = results.map((r) => `${r.name} ${r.medianMs.toFixed(1)} ms ×${r.runs}`).join(', ');
        console.log(`${model} batch ${batch}: ${summary}`);
        const difference = maxRelativeDifference(outputs[0]!, outputs.slice(1));
        rows.push({ suite: 'Node', model, batch, results, maxRelativeDifference: difference });
      }
    } finally {
      for (const ready of prepared) ready.dispose();
    }
  }
  for (const runner of runners) runner.close();
  report(flags.out, { node: process.version, vulkan, environments }, loadBefore, rows);
}

await main();
