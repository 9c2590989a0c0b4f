/**
 * Two builds of the fast CPU backend in one process, run by turns: this checkout's and a git ref's (`--base`, default
 * main), each at N threads, with this checkout's at one thread beside them. Both are bundled alike (a build imported
 * statically ran ~1 % faster than the same code imported as a second bundle). This machine's host lends its cores to
 * others, so that a two-thread run's speed changes from minute to minute, without the load average showing it
 * (bench/README.md); builds alternated process by process meet different hosts, while runs taken by turns within
 * one process meet the same one: the ratio of each round's two runs (base ÷ ours) tells apart changes of a few per
 * cent that alternated processes could not. Prints each contender's median, the geometric mean of the per-round
 * ratios with its standard error, and per step the medians of its phases' wall time (FastCpuOptions.onPhase).
 * `npm run bench:cpu-ab [-- --base main --models resnet18-224 --threads 2 --batch 1 --rounds 100 --precision float32]`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { GraphNode } from '../src/graph/ir.js';
import { mulberry32 } from '../src/models/random.js';
import { machineLoad } from './report.js';
import { maxRelativeDifference, median } from './stats.js';

type Build = typeof import('./cpu-ab-entry.js');

/** The tree's only source files: package.json, src/ and bench/, as `root` holds them. */
const TREE = ['package.json', 'src', 'bench'];

/**
 * bench/cpu-ab-entry.ts bundled from a tree (TREE) that `writeTree` puts in `root`, with this checkout's entry and
 * node_modules, then imported.
 */
async function bundled(root: string, writeTree: () => void): Promise<Build> {
  const bundle = join(root, 'dist', 'cpu-ab-entry.js');
  if (!existsSync(bundle)) {
    mkdirSync(root, { recursive: true });
    writeTree();
    writeFileSync(join(root, 'bench', 'cpu-ab-entry.ts'), readFileSync(resolve('bench', 'cpu-ab-entry.ts')));
    if (!existsSync(join(root, 'node_modules'))) symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
    const { build } = await import('vite');
    await build({
      configFile: false,
      root,
      logLevel: 'warn',
      build: {
        ssr: join(root, 'bench', 'cpu-ab-entry.ts'), outDir: join(root, 'dist'), emptyOutDir: true, target: 'node20',
      },
    });
  }
  return (await import(pathToFileURL(bundle).href)) as Build;
}

/** The ref's build, made once per commit in the temporary directory. */
function baseBuild(ref: string): Promise<Build> {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const root = join(tmpdir(), `twn-cpu-ab-${commit}`);
  console.log(`base: ${ref} (${commit.slice(0, 7)}), built in ${root}`);
  return bundled(root, () => {
    execFileSync('tar', ['-x', '-C', root], { input: execFileSync('git', ['archive', commit, ...TREE]) });
  });
}

/** This checkout's build, as its files are now (committed or not), made in a temporary directory removed after. */
async function ourBuild(): Promise<Build> {
  const root = mkdtempSync(join(tmpdir(), 'twn-cpu-ab-checkout-'));
  try {
    const copyTree = () => TREE.forEach((path) => cpSync(resolve(path), join(root, path), { recursive: true }));
    return await bundled(root, copyTree);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** One contender: a build's executor at some thread count, its wall and process CPU milliseconds per round. */
interface Contender {
  readonly name: string;
  readonly run: () => Float32Array;
  readonly wallMs: number[];
  readonly cpuMs: number[];
  /** Per step, the sum of its phases' wall times in each round. */
  readonly stepMs: Map<string, number[]>;
}

/** What every contender of a comparison runs: model, threads of the compared builds, batch and precision. */
interface Setting {
  readonly net: string;
  readonly threads: number;
  readonly batch: number;
  readonly precision: 'float32' | 'int16';
}

/** `bytes` (the model, as this checkout builds it) run by `build` at `threads`. */
async function contender(
  name: string, build: Build, bytes: Uint8Array, { batch, precision }: Setting, threads: number,
): Promise<Contender> {
  const plan = build.planGraph(build.optimize(build.graphFromFile(build.readTwnFile(bytes))), batch);
  const [channels, height, width] = plan.graph.input.shape;
  const input = Float32Array.from({ length: batch * channels * height * width }, mulberry32(42));
  const stepMs = new Map<string, number[]>();
  let thisRound = new Map<string, number>();
  const onPhase = (node: GraphNode, _phase: number, _task: string, ms: number) =>
    thisRound.set(node.name, (thisRound.get(node.name) ?? 0) + ms);
  const executor = new build.FastCpuExecutor({ threads, onPhase, precision });
  const info = await executor.threadInfo();
  if (info.threads !== threads) throw new Error(`${name}: only ${info.threads} threads started: ${info.reason}`);
  if (executor.precision !== precision) throw new Error(`${name}: runs ${executor.precision}, not ${precision}`);
  const output = plan.graph.outputs[0]!;
  return {
    name,
    wallMs: [],
    cpuMs: [],
    stepMs,
    run() {
      thisRound = new Map();
      const result = executor.run(plan, input, batch).get(output)!.data;
      for (const [step, ms] of thisRound) stepMs.set(step, [...(stepMs.get(step) ?? []), ms]);
      return result;
    },
  };
}

/** Runs `contender` once, adding its wall and process CPU time (every thread's) to its lists. */
function timedRun(contender: Contender): number {
  const [started, cpu] = [performance.now(), process.cpuUsage()];
  contender.run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  contender.wallMs.push(wallMs);
  contender.cpuMs.push((used.user + used.system) / 1000);
  return wallMs;
}

async function compare(base: Build, ours: Build, setting: Setting, rounds: number): Promise<void> {
  const { net, threads, batch, precision } = setting;
  // int16: seeded models calibrated once (the float64 reference: up to a minute for ResNet-18), read by all three.
  const bytes = await ours.benchModelBytes(net, (path) => readFile(path), { int16: precision === 'int16' });
  const one = await contender('ours, 1 thread', ours, bytes, setting, 1);
  const [theirs, mine] = [
    await contender(`base, ${threads} threads`, base, bytes, setting, threads),
    await contender(`ours, ${threads} threads`, ours, bytes, setting, threads),
  ];
  const contenders = [one, theirs, mine];
  const outputs = contenders.map((c) => c.run());
  const difference = maxRelativeDifference(outputs[1]!, [outputs[2]!]);
  if (!outputs[0]!.every((value, i) => Object.is(value, outputs[2]![i]))) throw new Error('ours differs at 1 thread');
  // Warm-up (JIT tiers), then only timed rounds count.
  for (let round = 0; round < 3; round++) contenders.forEach((c) => c.run());
  for (const c of contenders) {
    c.stepMs.clear();
    c.wallMs.length = 0;
    c.cpuMs.length = 0;
  }
  const loadBefore = machineLoad();
  const logRatios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // One thread first, then the two builds, every other round the other way round: each follows the other build
    // as often as it follows the 1-thread run, and none runs twice in a row (warm caches and spinning helpers).
    const order = round % 2 === 0 ? [one, theirs, mine] : [one, mine, theirs];
    const wall = new Map(order.map((c) => [c, timedRun(c)]));
    logRatios.push(Math.log(wall.get(theirs)! / wall.get(mine)!));
  }
  const mean = logRatios.reduce((sum, value) => sum + value, 0) / rounds;
  const spread = Math.sqrt(logRatios.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, rounds - 1));
  console.log(`\n${net} batch ${batch} ${precision}, ${rounds} rounds by turns; load ${loadBefore} → ${machineLoad()}`);
  const oneMs = median(one.wallMs);
  console.table(contenders.map((c) => ({
    contender: c.name,
    'median ms': median(c.wallMs).toFixed(2),
    'speed-up over ours at 1 thread': `${(oneMs / median(c.wallMs)).toFixed(2)}×`,
    'CPU ms per run': median(c.cpuMs).toFixed(1),
  })));
  console.log(
    `base ÷ ours at ${threads} threads, per round: geometric mean ${Math.exp(mean).toFixed(3)} ± ` +
      `${(Math.exp(mean) * spread / Math.sqrt(rounds)).toFixed(3)} (standard error), median ` +
      `${Math.exp(median(logRatios)).toFixed(3)}; outputs differ by ${difference.toExponential(1)} (relative)`,
  );
  console.table([...mine.stepMs.keys()].map((step) => ({
    step,
    'ours 1 thread ms': median(one.stepMs.get(step) ?? [0]).toFixed(3),
    [`base ${threads} threads ms`]: median(theirs.stepMs.get(step) ?? [0]).toFixed(3),
    [`ours ${threads} threads ms`]: median(mine.stepMs.get(step)!).toFixed(3),
  })));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string', default: 'main' },
      models: { type: 'string', default: 'resnet18-224' },
      threads: { type: 'string', default: '2' },
      batch: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '100' },
      precision: { type: 'string', default: 'float32' },
    },
  });
  const precision = values.precision;
  if (precision !== 'float32' && precision !== 'int16') throw new Error(`--precision: float32 or int16, got ${precision}`);
  const [base, ours] = [await baseBuild(values.base), await ourBuild()];
  for (const net of values.models.split(',')) {
    const setting = { net, threads: Number(values.threads), batch: Number(values.batch), precision } as const;
    await compare(base, ours, setting, Number(values.rounds));
  }
}

await main();
