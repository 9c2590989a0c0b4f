export interface Prediction {
  readonly index: number;
  /** The class name from the model file, or the index as text when the file has no labels. */
  readonly label: string;
  readonly probability: number;
}

/** Numerically stable softmax: exp(x − max) / Σ. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] ?? -Infinity);
  const exps = Float32Array.from({ length: logits.length }, (_, i) => Math.exp((logits[i] ?? -Infinity) - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/** The `k` most probable classes, most probable first; ties keep the lower index first. */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  return Array.from({ length: probabilities.length }, (_, index) => ({
    index,
    label: labels[index] ?? String(index),
    probability: probabilities[index] ?? 0,
  }))
    .sort((a, b) => b.probability - a.probability || a.index - b.index)
    .slice(0, k);
}
