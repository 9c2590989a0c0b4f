/**
 * How well the fast CPU backend's helper threads share a run: one executor with 1 thread and one with N, run
 * interleaved in one process (medians, and the machine load from `uptime`, since other processes take cores too);
 * then each phase's wall time (a conv's gather and conv) at 1 and N threads, medians of the same rounds, and their
 * sums by task function (all of a run's gathers, say);
 * then, with per-thread accounting on (FastCpuExecutor.startThreadProfile), each step's wall time, phases, tasks and
 * time inside tasks per thread, how long the running thread waited for helpers and how late helpers woke. Busy/idle
 * shares, and the process CPU time per run (every thread's: what threads add to the work), depend far less on the
 * machine load than wall times do. Prints tables.
 * `--pause MS` idles that long before each timed run, as an app between sporadic runs does (default 0: back to back):
 * a kernel may place threads that wake after idling onto one core, which the wait for a core per run shows (Linux:
 * every thread's run-queue time from /proc/self/task/<id>/schedstat, the time it was ready to run but had no core).
 * `--repeats N` takes the interleaved measurement N times and prints them side by side with their CPU time ratios and
 * waits for a core: this VM's host sometimes runs two busy threads slower together than one alone, for minutes.
 * `npm run bench:cpu-threads [-- --models vgg7,resnet18-224 --threads 2 --batch 1 --rounds 7 --pause 0 --repeats 1]`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FastCpuExecutor } from '../src/backends/cpu-fast/index.js';
import { SPIN_MS } from '../src/backends/cpu-fast/wasm/threads.js';
import { readTwnFile } from '../src/format/reader.js';
import { graphFromFile } from '../src/graph/from-file.js';
import { optimize } from '../src/graph/passes/optimize.js';
import type { GraphNode } from '../src/graph/ir.js';
import { mulberry32 } from '../src/models/random.js';
import { planGraph } from '../src/plan/plan.js';
import { benchModelBytes } from './models.js';
import { machineLoad } from './report.js';
import { median } from './stats.js';

interface StepProfile {
  readonly step: string;
  readonly op: string;
  wallMs: number;
  phases: number;
  tasks: number[];
  busyMs: number[];
  waitMs: number;
  lateMs: number[];
}

/** Milliseconds this process's threads have spent ready to run without a core (Linux), or undefined. */
function waitedForCoreMs(): number | undefined {
  try {
    // schedstat: nanoseconds on a core, nanoseconds waiting in a run queue, time slices.
    const waited = (id: string) => Number(readFileSync(`/proc/self/task/${id}/schedstat`, 'utf8').split(' ')[1]);
    return readdirSync('/proc/self/task').reduce((sum, id) => sum + waited(id), 0) / 1e6;
  } catch {
    return undefined;
  }
}

/** One interleaved measurement (benchNet's measure): medians of its rounds, and when it ended (UTC). */
interface Measurement {
  readonly at: string;
  readonly oneMs: number;
  readonly manyMs: number;
  /** Process CPU milliseconds per run (every thread's). */
  readonly oneCpuMs: number;
  readonly manyCpuMs: number;
  /** Median and most of the multi-thread runs' waits for a core, where the system tells. */
  readonly coreWaitMs?: number;
  readonly mostCoreWaitMs?: number;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
  /** Every thread's time waiting for a core during the run, where the system tells. */
  coreWaitMs?: number;
}

/**
 * Wall and process CPU milliseconds (every thread's) of one call, and its threads' wait for a core, read outside the
 * timed span (reading every thread's schedstat took ~0.2 ms).
 */
function timed(run: () => void): Timing {
  const waited = waitedForCoreMs();
  const [started, cpu] = [performance.now(), process.cpuUsage()];
  run();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const waitedAfter = waitedForCoreMs();
  return {
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    ...(waited !== undefined && waitedAfter !== undefined && { coreWaitMs: waitedAfter - waited }),
  };
}

const fixed = (values: number[], digits = 2) => values.map((value) => value.toFixed(digits)).join(' / ');

async function benchNet(
  net: string,
  threads: number,
  batch: number,
  rounds: number,
  pauseMs: number,
  repeats: number,
): Promise<void> {
  const bytes = await benchModelBytes(net, (path) => readFile(path));
  const plan = planGraph(optimize(graphFromFile(readTwnFile(bytes))), batch);
  const [channels, height, width] = plan.graph.input.shape;
  const input = Float32Array.from({ length: batch * channels * height * width }, mulberry32(42));
  let onStep: ((node: GraphNode, ms: number) => void) | undefined;
  // Each phase's wall times (step, phase: [1 thread's, N threads'] per round), from the interleaved rounds.
  const phaseMs = new Map<string, { step: string; task: string; ms: [number[], number[]] }>();
  const phaseTimer = (executor: 0 | 1) => (node: GraphNode, phase: number, task: string, ms: number) => {
    const key = `${node.name} ${phase}`;
    const entry = phaseMs.get(key) ?? { step: node.name, task, ms: [[], []] };
    entry.ms[executor].push(ms);
    phaseMs.set(key, entry);
  };
  const single = new FastCpuExecutor({ onPhase: phaseTimer(0) });
  const multi = new FastCpuExecutor({ threads, onStep: (node, ms) => onStep?.(node, ms), onPhase: phaseTimer(1) });
  const info = await multi.threadInfo();
  if (info.threads !== threads) throw new Error(`only ${info.threads} threads started: ${info.reason}`);
  const output = plan.graph.outputs[0]!;
  const expected = single.run(plan, input, batch).get(output)!.data;
  const actual = multi.run(plan, input, batch).get(output)!.data;
  if (!expected.every((value, i) => Object.is(value, actual[i]))) {
    throw new Error(`${net}: ${threads} threads differ from 1`);
  }

  phaseMs.clear();
  // One interleaved measurement: `rounds` runs of each executor by turns, their medians and what they cost the CPU.
  const measure = async (): Promise<Measurement> => {
    const loadBefore = machineLoad();
    const singleRuns: Timing[] = [];
    const multiRuns: Timing[] = [];
    for (let round = 0; round < rounds; round++) {
      // The multi-thread executor's helper spins SPIN_MS after its run: not in the next one-thread run's CPU time.
      await sleep(Math.max(pauseMs, SPIN_MS + 1));
      singleRuns.push(timed(() => single.run(plan, input, batch)));
      if (pauseMs > 0) await sleep(pauseMs);
      multiRuns.push(timed(() => multi.run(plan, input, batch)));
    }
    const coreWaits = multiRuns.flatMap((run) => (run.coreWaitMs === undefined ? [] : [run.coreWaitMs]));
    const measurement: Measurement = {
      at: new Date().toISOString().slice(11, 19),
      oneMs: median(singleRuns.map((run) => run.wallMs)),
      manyMs: median(multiRuns.map((run) => run.wallMs)),
      oneCpuMs: median(singleRuns.map((run) => run.cpuMs)),
      manyCpuMs: median(multiRuns.map((run) => run.cpuMs)),
      ...(coreWaits.length > 0 && { coreWaitMs: median(coreWaits), mostCoreWaitMs: Math.max(...coreWaits) }),
    };
    const { oneMs, manyMs, oneCpuMs, manyCpuMs } = measurement;
    console.log(
      `\n${net} batch ${batch}: 1 thread ${oneMs.toFixed(1)} ms, ` +
        `${threads} threads ${manyMs.toFixed(1)} ms, speed-up ${(oneMs / manyMs).toFixed(2)}× ` +
        `(medians of ${rounds}, interleaved${pauseMs > 0 ? `, ${pauseMs} ms idle before each run` : ''}; ` +
        `load ${loadBefore} → ${machineLoad()})`,
    );
    if (measurement.coreWaitMs !== undefined) {
      console.log(
        `waiting for a core per ${threads}-thread run: median ${measurement.coreWaitMs.toFixed(2)} ms, ` +
          `most ${measurement.mostCoreWaitMs!.toFixed(2)} ms (every thread's, summed)`,
      );
    }
    // What threads add to the work, whatever the load: the process's CPU time per run, every thread's (spins included).
    console.log(
      `CPU time per run: 1 thread ${oneCpuMs.toFixed(1)} ms, ${threads} threads ${manyCpuMs.toFixed(1)} ms together ` +
        `(${(manyCpuMs / oneCpuMs).toFixed(2)}× the work)`,
    );
    return measurement;
  };
  const measurements: Measurement[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) measurements.push(await measure());
  if (repeats > 1) {
    // Side by side: with every thread busy through a run the CPU time ratio is about N ÷ the speed-up; well under it,
    // threads sat blocked; a wait for a core, something else in this machine ran.
    console.log(`\n${net} batch ${batch}, ${repeats} measurements of ${rounds} rounds each:`);
    console.table(
      measurements.map((m) => ({
        'UTC': m.at,
        '1 thread ms': m.oneMs.toFixed(1),
        [`${threads} threads ms`]: m.manyMs.toFixed(1),
        'speed-up': `${(m.oneMs / m.manyMs).toFixed(2)}×`,
        'CPU time ratio': `${(m.manyCpuMs / m.oneCpuMs).toFixed(2)}×`,
        'wait for a core ms': m.coreWaitMs?.toFixed(2) ?? '–',
      })),
    );
  }

  // Phases of steps with several (a conv's gather and conv): where threads gain, and where they lose.
  const stepsPhases = new Map<string, number>();
  for (const { step } of phaseMs.values()) stepsPhases.set(step, (stepsPhases.get(step) ?? 0) + 1);
  console.table(
    [...phaseMs.entries()].filter(([, { step }]) => stepsPhases.get(step)! > 1).map(([key, { task, ms }]) => {
      const [one, many] = ms.map(median) as [number, number];
      return { phase: key, task, '1 thread ms': one.toFixed(3), [`${threads} threads ms`]: many.toFixed(3),
        'speed-up': `${(one / many).toFixed(2)}×` };
    }),
  );
  // Every phase (one-phase steps too) summed by task function: e.g. what a run's gathers take at 1 and N threads.
  const byTask = new Map<string, { phases: number; one: number; many: number }>();
  for (const { task, ms } of phaseMs.values()) {
    const entry = byTask.get(task) ?? { phases: 0, one: 0, many: 0 };
    entry.phases++;
    entry.one += median(ms[0]);
    entry.many += median(ms[1]);
    byTask.set(task, entry);
  }
  console.table(
    [...byTask].map(([task, { phases, one, many }]) => ({ task, phases, '1 thread ms': one.toFixed(2),
      [`${threads} threads ms`]: many.toFixed(2), 'speed-up': `${(one / many).toFixed(2)}×` })),
  );
  phaseMs.clear();

  // One profiled run per round: per step, the difference of the counters across it.
  const steps = new Map<string, StepProfile>();
  for (let round = 0; round < rounds; round++) {
    multi.startThreadProfile();
    let before = multi.threadProfile()!;
    onStep = (node, ms) => {
      const now = multi.threadProfile()!;
      const zeros = () => new Array<number>(threads).fill(0);
      const entry = steps.get(node.name) ?? {
        ...{ step: node.name, op: node.op, wallMs: 0, phases: 0, waitMs: 0 },
        ...{ tasks: zeros(), busyMs: zeros(), lateMs: zeros() },
      };
      entry.wallMs += ms / rounds;
      entry.phases = now.phases - before.phases;
      entry.waitMs += (now.waitMs - before.waitMs) / rounds;
      for (let t = 0; t < threads; t++) {
        entry.tasks[t] = now.tasks[t]! - before.tasks[t]!;
        entry.busyMs[t]! += (now.busyMs[t]! - before.busyMs[t]!) / rounds;
        entry.lateMs[t]! += (now.lateMs[t]! - before.lateMs[t]!) / rounds;
      }
      steps.set(node.name, entry);
      before = now;
    };
    multi.run(plan, input, batch);
    onStep = undefined;
  }
  const rows = [...steps.values()];
  console.table(
    rows.map((row) => ({
      step: row.step,
      op: row.op,
      'wall ms': row.wallMs.toFixed(2),
      phases: row.phases,
      'tasks per thread': row.tasks.join(' / '),
      'busy ms per thread': fixed(row.busyMs),
      'wait ms': row.waitMs.toFixed(2),
      'helpers late ms': fixed(row.lateMs.slice(1)),
      'use of threads': `${((100 * row.busyMs.reduce((a, b) => a + b, 0)) / (threads * row.wallMs)).toFixed(0)}%`,
    })),
  );
  const total = (value: (row: StepProfile) => number) => rows.reduce((sum, row) => sum + value(row), 0);
  const wall = total((row) => row.wallMs);
  const wait = total((row) => row.waitMs);
  const busy = Array.from({ length: threads }, (_, t) => total((row) => row.busyMs[t]!));
  console.log(
    `whole run (profiled, mean of ${rounds}): wall ${wall.toFixed(1)} ms, busy per thread ${fixed(busy, 1)} ms ` +
      `(${busy.map((ms) => `${((100 * ms) / wall).toFixed(0)}%`).join(' / ')} of the wall time), ` +
      `phases ${total((row) => row.phases)}, running thread waited ${wait.toFixed(1)} ms, ` +
      `outside tasks and waits ${(wall - busy[0]! - wait).toFixed(1)} ms`,
  );
  single.dispose();
  multi.dispose();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'vgg7,resnet18-224' },
      threads: { type: 'string', default: '2' },
      batch: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '7' },
      pause: { type: 'string', default: '0' },
      repeats: { type: 'string', default: '1' },
    },
  });
  for (const net of values.models.split(',')) {
    const [threads, batch, rounds] = [Number(values.threads), Number(values.batch), Number(values.rounds)];
    await benchNet(net, threads, batch, rounds, Number(values.pause), Number(values.repeats));
  }
}

await main();
