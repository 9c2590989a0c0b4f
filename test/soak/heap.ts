/**
 * Heap measurement for the lifetime and soak tests. vitest.config.ts starts its workers (child processes) with
 * --expose-gc, so the tests can collect garbage before each sample.
 */
/**
 * A soak is a memory assertion, not a timing one: thousands of SwiftShader runs take ~1 min alone, several on a
 * machine shared with the rest of the suite.
 */
export const SOAK_TIMEOUT_MS = 600_000;

export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('these tests need node --expose-gc (set in vitest.config.ts)');
  gc();
  gc();
}

/** Lets finalizers and promise reactions run, then collects: FinalizationRegistry callbacks run on later tasks. */
export async function settleAndCollect(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    collectGarbage();
  }
}

export interface HeapTrend {
  /** Least-squares slope of the heap over the steps, bytes per step. */
  readonly bytesPerStep: number;
  readonly firstBytes: number;
  readonly lastBytes: number;
  readonly steps: number;
}

/**
 * Runs `step` `steps` times (after `warmup` untimed ones) and samples the used heap after a collection every
 * `steps / samples` steps. A leak of b bytes per step shows as a slope of b; collection noise spreads over the run.
 */
export async function heapTrend(
  step: () => Promise<unknown>,
  steps: number,
  { warmup = 20, samples = 10 } = {},
): Promise<HeapTrend> {
  for (let i = 0; i < warmup; i++) await step();
  const points: [number, number][] = [];
  const sample = async (at: number) => {
    await settleAndCollect();
    points.push([at, process.memoryUsage().heapUsed]);
  };
  const every = Math.max(1, Math.floor(steps / samples));
  await sample(0);
  for (let i = 1; i <= steps; i++) {
    await step();
    if (i % every === 0) await sample(i);
  }
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return { bytesPerStep: covariance / variance, firstBytes: points[0]![1], lastBytes: points[n - 1]![1], steps };
}

export function describeTrend(what: string, trend: HeapTrend): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(0);
  const heap = `heap ${kib(trend.firstBytes)} → ${kib(trend.lastBytes)} KiB`;
  return `${what}: ${trend.bytesPerStep.toFixed(1)} B/step over ${trend.steps} steps (${heap})`;
}
