/**
 * The fuzzer's loop and oracle (issue 11 item 7). Each case is a mutant of a seed file; the oracle: it loads and runs
 * on the CPU backends (float32 fast, and the float64 reference where cheap, which must agree), or throws a TwnError
 * with a code — and either way within a time budget. Anything else (an untyped exception, a case over budget) is a
 * failure. `test/fuzz/fuzz.test.ts` runs a seeded slice in CI; `npm run fuzz -- --minutes N` runs long.
 */
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/executor.js';
import { TwnError } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { mulberry32 } from '../../src/models/random.js';
import { elementCount } from '../../src/ops/tensor.js';
import { planGraph, type ExecutionPlan } from '../../src/plan/plan.js';
import { compareToReference } from '../op-cases/compare.js';
import {
  adversarialGraph,
  mutateBytes,
  mutateData,
  mutateHeader,
  mutateHeaderText,
  truncateOrExtend,
  type Mutant,
  type Random,
} from './mutations.js';

export interface SeedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface FuzzOptions {
  readonly seed: number;
  readonly seeds: readonly SeedFile[];
  /** Stop after this many cases or this much time, whichever comes first. */
  readonly maxCases?: number;
  readonly maxMillis?: number;
  /**
   * A case that takes more CPU time (load and run, this process) is a failure. CPU time, not wall time: the machine
   * is shared and a long run is niced, so wall time says more about the neighbours than about the case.
   */
  readonly caseBudgetMillis: number;
  /** Called for each failure as it happens, e.g. to save the bytes. */
  readonly onFailure?: (failure: FuzzFailure) => void;
  readonly onProgress?: (stats: FuzzStats) => void;
}

export interface FuzzCase {
  readonly index: number;
  readonly seed: string;
  readonly description: string;
  readonly bytes: Uint8Array;
}

export interface FuzzFailure extends FuzzCase {
  readonly why: string;
}

export interface FuzzStats {
  cases: number;
  millis: number;
  /** 'ok', 'loaded, not run (compute)', or the code of the TwnError thrown. */
  readonly outcomes: Map<string, number>;
  readonly failures: FuzzFailure[];
  /** The case that took the most CPU time. */
  slowest: { millis: number; case: string; bytes: number } | undefined;
  /**
   * Most bytes allocated per file byte (JS heap + array buffers, sampled after the case, before collection); files
   * under MEMORY_FLOOR_BYTES count as that size, so a 0-byte file's fixed costs do not read as infinite.
   */
  worstMemory: { perFileByte: number; allocated: number; case: string; bytes: number } | undefined;
}

/** The run budget the fuzzer loads with: large enough for every shipped model, small enough to stay fast. */
const FUZZ_MAX_RUN_BYTES = 64 << 20;
const MEMORY_FLOOR_BYTES = 1024;
/** Runs beyond this many multiply-accumulates are skipped: a valid file may ask for any amount of compute. */
const MAX_RUN_MACS = 2e8;
/** The float64 reference runs below this, to check the fast backend's results. */
const MAX_REFERENCE_MACS = 3e6;

const MUTATORS: readonly [weight: number, mutate: (bytes: Uint8Array, random: Random) => Mutant][] = [
  [40, mutateHeader],
  [12, mutateHeaderText],
  [12, mutateBytes],
  [12, mutateData],
  [8, truncateOrExtend],
  [3, (_, random) => adversarialGraph(random)],
];
const TOTAL_WEIGHT = MUTATORS.reduce((sum, [weight]) => sum + weight, 0);

export function fuzz(options: FuzzOptions): FuzzStats {
  const random = mulberry32(options.seed);
  const stats: FuzzStats = {
    cases: 0,
    millis: 0,
    outcomes: new Map(),
    failures: [],
    slowest: undefined,
    worstMemory: undefined,
  };
  const started = performance.now();
  let lastProgress = started;
  while (
    stats.cases < (options.maxCases ?? Infinity) &&
    performance.now() - started < (options.maxMillis ?? Infinity)
  ) {
    const seed = options.seeds[Math.floor(random() * options.seeds.length)]!;
    const mutant = mutate(seed.bytes, random);
    const fuzzCase: FuzzCase = { index: stats.cases, seed: seed.name, ...mutant };
    const result = runCase(fuzzCase.bytes, Math.floor(random() * 2 ** 31));
    const label = `#${fuzzCase.index} ${seed.name}: ${fuzzCase.description}`;
    stats.cases++;
    stats.outcomes.set(result.outcome, (stats.outcomes.get(result.outcome) ?? 0) + 1);
    if (stats.slowest === undefined || result.millis > stats.slowest.millis) {
      stats.slowest = { millis: result.millis, case: label, bytes: fuzzCase.bytes.length };
    }
    const perFileByte = result.allocated / Math.max(MEMORY_FLOOR_BYTES, fuzzCase.bytes.length);
    if (stats.worstMemory === undefined || perFileByte > stats.worstMemory.perFileByte) {
      stats.worstMemory = { perFileByte, allocated: result.allocated, case: label, bytes: fuzzCase.bytes.length };
    }
    const why =
      result.failure ??
      (result.millis > options.caseBudgetMillis
        ? `took ${result.millis.toFixed(0)} ms of CPU, over the budget of ${options.caseBudgetMillis}`
        : undefined);
    if (why !== undefined) {
      const failure = { ...fuzzCase, why };
      stats.failures.push(failure);
      options.onFailure?.(failure);
    }
    const now = performance.now();
    stats.millis = now - started;
    if (now - lastProgress > 30_000) {
      lastProgress = now;
      options.onProgress?.(stats);
    }
  }
  stats.millis = performance.now() - started;
  return stats;
}

function mutate(bytes: Uint8Array, random: Random): Mutant {
  let roll = random() * TOTAL_WEIGHT;
  for (const [weight, mutator] of MUTATORS) {
    roll -= weight;
    if (roll < 0) return mutator(bytes, random);
  }
  return mutateHeader(bytes, random);
}

interface CaseResult {
  readonly outcome: string;
  readonly failure?: string;
  /** CPU time, user + system. */
  readonly millis: number;
  readonly allocated: number;
}

/** The oracle for one file. */
export function runCase(bytes: Uint8Array, inputSeed: number): CaseResult {
  const memoryBefore = allocatedBytes();
  const started = process.cpuUsage();
  let outcome: string;
  let failure: string | undefined;
  try {
    outcome = loadAndRun(bytes, inputSeed);
    if (outcome === 'mismatch') failure = 'the fast CPU backend and the float64 reference disagree';
  } catch (error) {
    if (error instanceof TwnError) outcome = error.code;
    else {
      outcome = 'untyped error';
      failure = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    }
  }
  const { user, system } = process.cpuUsage(started);
  return { outcome, failure, millis: (user + system) / 1000, allocated: Math.max(0, allocatedBytes() - memoryBefore) };
}

function loadAndRun(bytes: Uint8Array, inputSeed: number): string {
  const graph = optimize(graphFromFile(readTwnFile(bytes)));
  const random = mulberry32(inputSeed);
  const batch = random() < 0.5 ? 1 : 2;
  const plan = planGraph(graph, batch, { maxRunBytes: FUZZ_MAX_RUN_BYTES });
  const macs = multiplyAccumulates(plan);
  if (macs > MAX_RUN_MACS) return 'loaded, not run (compute)';
  const input = new Float32Array(elementCount(plan.shapes.get(graph.input.name)!));
  for (let i = 0; i < input.length; i++) input[i] = random();
  const output = graph.outputs[0]!;
  const fast = new FastCpuExecutor().run(plan, input, batch).get(output)!;
  if (macs > MAX_REFERENCE_MACS) return 'ok';
  // A mean or std that maps [0, 1] pixels far past ±1e4 leaves float32 too few bits for the differences layers take.
  const { mean, std } = graph.input;
  const widest = mean.reduce((most, m, c) => Math.max(most, Math.abs(m) / std[c]!, Math.abs(1 - m) / std[c]!), 0);
  if (widest > 1e4) return 'ok (normalised input out of float32 precision)';
  const reference = new CpuExecutor().run(plan, input, batch).get(output)!;
  // Mutated statistics (std 1e-30, say) can drive float32 past its range where float64 stays finite: no verdict then.
  if (!reference.data.every((value) => Math.abs(value) < 1e6)) return 'ok (reference out of float32 range)';
  return compareToReference(fast.data, reference.data, 1e-3).pass ? 'ok' : 'mismatch';
}

/** Work a run does: per step, outputs × weights per output (conv/dense) or × 16 for everything else. */
function multiplyAccumulates(plan: ExecutionPlan): number {
  let total = 0;
  for (const { node, outputShapes } of plan.steps) {
    const weight = node.params.weight === undefined ? undefined : plan.graph.tensors.get(node.params.weight);
    total += elementCount(outputShapes[0]!) * (weight === undefined ? 16 : elementCount(weight.shape.slice(1)));
  }
  return total;
}

function allocatedBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** The shipped models and builder-made ones: every op, both weight dtypes, folded and unfolded batchnorm. */
export async function defaultSeeds(): Promise<SeedFile[]> {
  const { readFileSync, readdirSync } = await import('node:fs');
  const { writeTwnFile } = await import('../../src/format/writer.js');
  const { buildLeNet5 } = await import('../../src/models/lenet5.js');
  const { smallFile, tinyResNetFile } = await import('../graph/fixtures.js');
  const { workedExampleFile } = await import('../format/fixtures.js');
  const { sharedWeightBlocks } = await import('./adversarial-graphs.js');
  const shipped = readdirSync('demo/models')
    .filter((name) => name.endsWith('.twn'))
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(`demo/models/${name}`)) }));
  return [
    ...shipped,
    {
      name: 'builder lenet5 per-channel, f32 first/last',
      bytes: buildLeNet5({ seed: 3, granularity: 'per-channel', fullPrecisionFirstLast: true }),
    },
    { name: 'tiny resnet, explicit batchnorm', bytes: writeTwnFile(tinyResNetFile({ seed: 4, foldBatchNorm: false })) },
    { name: 'tiny resnet, folded', bytes: writeTwnFile(tinyResNetFile({ seed: 5, foldBatchNorm: true })) },
    { name: 'small conv-bn-relu-dense-softmax', bytes: writeTwnFile(smallFile()) },
    { name: 'worked example', bytes: writeTwnFile(workedExampleFile()) },
    { name: 'shared-weight blocks', bytes: writeTwnFile(sharedWeightBlocks(20)) },
  ];
}
