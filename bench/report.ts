/**
 * The one output format of the benchmark scripts: rows of contenders timed side by side (median of interleaved runs,
 * cold start), a ratio per row against the first contender, the largest output difference between contenders, and
 * the machine load around the run. Printed as a Markdown table; written as JSON under bench-results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';

export interface ContenderResult {
  readonly name: string;
  /** Model bytes in memory → first result (for ONNX Runtime: session create + first run); absent when not timed. */
  readonly coldStartMs?: number;
  readonly medianMs: number;
  readonly runs: number;
  /** What actually ran where it may differ from what was asked, e.g. the thread count a backend reports. */
  readonly note?: string;
  /**
   * For a contender that computes something else on purpose (ours at int16: quantised activations), its own
   * max relative difference from the first contender, kept out of the row's `maxRelativeDifference`.
   */
  readonly relativeDifference?: number;
}

export interface BenchRow {
  readonly suite: string;
  readonly model: string;
  readonly batch: number;
  readonly threads?: number;
  /** The first contender is the baseline of the ratio column. */
  readonly results: readonly ContenderResult[];
  /**
   * max |other − first| / max(1, max |first|) over the outputs of the contenders that compute the same thing
   * (not those with their own `relativeDifference`); absent when only one contender ran.
   */
  readonly maxRelativeDifference?: number;
  /** coresFree() just before the row's model was measured, where the script reads it per model (bench:peers). */
  readonly coresFree?: number;
}

/**
 * `uptime`'s line (load averages over 1, 5, 15 minutes) and the cores free now (coresFree), the numbers the README
 * quotes next to each table.
 */
export function machineLoad(): string {
  let uptime: string;
  try {
    uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    uptime = 'uptime unavailable';
  }
  const free = coresFree();
  return `${uptime} · cores free ${free === undefined ? 'unknown' : free.toFixed(2)} of ${availableParallelism()}`;
}

/**
 * How many cores this process can have right now: a worker thread per core runs a fixed integer loop (~40 ms), all at
 * once, timed against one of them alone; cores × alone ÷ together, the median of three pairs. This host's load average
 * does not show other machines sharing its cores, which slow two threads far more than one (a thread that waits for
 * its core holds up every phase); this does. About the core count on an idle machine, towards 1 on a busy one.
 */
export function coresFree(): number | undefined {
  try {
    const output = execFileSync(process.execPath, ['-e', CORES_FREE_PROBE, String(availableParallelism())], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const value = Number(output.trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The probe behind coresFree, run in a fresh Node process (CommonJS); prints the estimate. */
const CORES_FREE_PROBE = `
const { Worker } = require('node:worker_threads');
const threads = Number(process.argv[1]);
const LOOP = 50_000_000;
const loop = \`require('node:worker_threads').parentPort.on('message', (n) => {
  let x = 1;
  for (let i = 0; i < n; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  require('node:worker_threads').parentPort.postMessage(x);
});\`;
const workers = Array.from({ length: threads }, () => new Worker(loop, { eval: true }));
const runOn = (group) => {
  const started = performance.now();
  return Promise.all(group.map((worker) => new Promise((done) => {
    worker.once('message', done);
    worker.postMessage(LOOP);
  }))).then(() => performance.now() - started);
};
(async () => {
  await runOn(workers); // boot and compile
  const estimates = [];
  for (let round = 0; round < 3; round++) {
    const alone = await runOn(workers.slice(0, 1));
    estimates.push((threads * alone) / (await runOn(workers)));
  }
  estimates.sort((a, b) => a - b);
  console.log(estimates[1].toFixed(3));
  process.exit(0);
})();
`;

const ms = (value: number | undefined) =>
  value === undefined ? '–' : value >= 100 ? value.toFixed(0) : value.toFixed(1);

/** One Markdown table per suite; columns follow the contenders of the suite's first row. */
export function formatTables(rows: readonly BenchRow[]): string {
  const suites = [...new Set(rows.map((row) => row.suite))];
  return suites.map((suite) => formatSuite(suite, rows.filter((row) => row.suite === suite))).join('\n\n');
}

function formatSuite(suite: string, rows: readonly BenchRow[]): string {
  const names = rows[0]!.results.map((result) => result.name);
  const [baseline, ...others] = names;
  const ownDifference = names.filter((name) =>
    rows.some((row) => row.results.some((r) => r.name === name && r.relativeDifference !== undefined)),
  );
  const withThreads = rows.some((row) => row.threads !== undefined);
  const withCoresFree = rows.some((row) => row.coresFree !== undefined);
  const header = [
    'model',
    'batch',
    ...(withThreads ? ['threads'] : []),
    ...names.map((name) => `${name} ms`),
    ...others.map((name) => `${baseline} ÷ ${name}`),
    ...names.map((name) => `${name} cold ms`),
    'max rel diff',
    ...ownDifference.map((name) => `rel diff ${name}`),
    ...(withCoresFree ? ['cores free'] : []),
  ];
  const body = rows.map((row) => {
    const result = (name: string) => row.results.find((candidate) => candidate.name === name);
    const base = result(baseline!)?.medianMs;
    return [
      row.model,
      String(row.batch),
      ...(withThreads ? [String(row.threads ?? '–')] : []),
      ...names.map((name) => `${ms(result(name)?.medianMs)}${result(name)?.note ? ` (${result(name)!.note})` : ''}`),
      ...others.map((name) => {
        const other = result(name)?.medianMs;
        return base === undefined || other === undefined ? '–' : `${(base / other).toFixed(2)}×`;
      }),
      ...names.map((name) => ms(result(name)?.coldStartMs)),
      row.maxRelativeDifference === undefined ? '–' : row.maxRelativeDifference.toExponential(1),
      ...ownDifference.map((name) => result(name)?.relativeDifference?.toExponential(1) ?? '–'),
      ...(withCoresFree ? [row.coresFree?.toFixed(2) ?? '–'] : []),
    ];
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = line(header.map((_, column) => (column < (withThreads ? 3 : 2) ? '---' : '---:')));
  return [`### ${suite}`, '', line(header), rule, ...body.map(line)].join('\n');
}

/** Prints the tables between two load readings and writes `{ ...environment, loadBefore, loadAfter, rows }`. */
export function report(
  path: string,
  environment: Record<string, unknown>,
  loadBefore: string,
  rows: readonly BenchRow[],
): void {
  const loadAfter = machineLoad();
  console.log(`\n${formatTables(rows)}\n`);
  console.log(`load before: ${loadBefore}\nload after:  ${loadAfter}`);
  mkdirSync(dirname(path), { recursive: true });
  const result = { date: new Date().toISOString(), ...environment, loadBefore, loadAfter, rows };
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${path}`);
}
