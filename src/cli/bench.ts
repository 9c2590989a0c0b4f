import type { TwnModel } from '../index.js';

export interface BenchResult {
  batch: number;
  runs: number;
  meanMs: number;
  medianMs: number;
  p95Ms: number;
  imagesPerSecond: number;
}

/** Times `runs` forward passes of a random batch after `warmup` untimed ones (pipelines, caches, JIT). */
export async function bench(model: TwnModel, batch: number, runs: number, warmup: number): Promise<BenchResult> {
  const [channels, height, width] = model.info.inputShape;
  const input = new Float32Array(batch * channels * height * width);
  for (let i = 0; i < input.length; i++) input[i] = Math.random();
  for (let i = 0; i < warmup; i++) await model.run(input, batch);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await model.run(input, batch);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const meanMs = times.reduce((sum, time) => sum + time, 0) / runs;
  const at = (quantile: number) => times[Math.min(runs - 1, Math.floor(quantile * runs))] ?? 0;
  return { batch, runs, meanMs, medianMs: at(0.5), p95Ms: at(0.95), imagesPerSecond: (batch * 1000) / meanMs };
}

export function formatBench(result: BenchResult): string {
  const { batch, runs, meanMs, medianMs, p95Ms, imagesPerSecond } = result;
  return `batch ${batch}, ${runs} runs: mean ${meanMs.toFixed(2)} ms, median ${medianMs.toFixed(2)} ms, p95 ${p95Ms.toFixed(2)} ms, ${imagesPerSecond.toFixed(1)} images/s`;
}
