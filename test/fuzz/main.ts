/**
 * `npm run fuzz -- --minutes N [--seed S] [--cases C] [--budget-ms B]`: the fuzzer (fuzz.ts) for as long as asked,
 * printing progress every 30 s and a report at the end: cases, cases/s, outcomes per code, the slowest case, the most
 * memory per file byte. Failing inputs are saved to fuzz-failures/ with their description.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { defaultSeeds, fuzz, type FuzzStats } from './fuzz.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (Number.isNaN(value) || value < 0) throw new Error(`--${name} needs a number ≥ 0`);
  return value;
}

function report(stats: FuzzStats): string {
  const outcomes = [...stats.outcomes].sort((a, b) => b[1] - a[1]).map(([code, count]) => `  ${code}: ${count}`);
  const memory = stats.worstMemory;
  const rate = (1000 * stats.cases) / stats.millis;
  return [
    `cases: ${stats.cases} in ${(stats.millis / 1000).toFixed(0)} s (${rate.toFixed(1)} cases/s, wall)`,
    `failures: ${stats.failures.length}`,
    'outcomes:',
    ...outcomes,
    `slowest: ${stats.slowest?.millis.toFixed(0)} ms of CPU, ${stats.slowest?.bytes} bytes, ${stats.slowest?.case}`,
    `most memory per file byte: ${memory?.perFileByte.toFixed(1)}`,
    `  (${memory?.allocated} bytes for ${memory?.bytes}), ${memory?.case}`,
  ].join('\n');
}

const minutes = option('minutes', 1);
const seed = option('seed', Date.now() % 2 ** 31);
const load = loadavg().map((average) => average.toFixed(2));
console.log(`fuzz: seed ${seed}, ${minutes} min, load average ${load.join(' ')} on ${cpus().length} cores`);
const stats = fuzz({
  seed,
  seeds: await defaultSeeds(),
  maxMillis: minutes * 60_000,
  maxCases: option('cases', Infinity),
  caseBudgetMillis: option('budget-ms', 15_000),
  onFailure(failure) {
    mkdirSync('fuzz-failures', { recursive: true });
    const stem = `fuzz-failures/seed${seed}-case${failure.index}`;
    writeFileSync(`${stem}.twn`, failure.bytes);
    writeFileSync(`${stem}.txt`, `${failure.seed}: ${failure.description}\n${failure.why}\n`);
    console.log(`FAILURE #${failure.index} ${failure.seed}: ${failure.description}: ${failure.why.split('\n')[0]}`);
  },
  onProgress: (progress) => console.log(`… ${progress.cases} cases, ${progress.failures.length} failures`),
});
console.log(report(stats));
process.exitCode = stats.failures.length > 0 ? 1 : 0;
