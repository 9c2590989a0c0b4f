/** Statistics shared by the Node scripts and the bench page (no Node imports here). */

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** max |other − reference| / max(1, max |reference|) over all elements of all others; Infinity on NaN or length. */
export function maxRelativeDifference(reference: ArrayLike<number>, others: readonly ArrayLike<number>[]): number {
  let scale = 1;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs(reference[i]!));
  let worst = 0;
  for (const other of others) {
    if (other.length !== reference.length) return Infinity;
    for (let i = 0; i < reference.length; i++) {
      const difference = Math.abs(other[i]! - reference[i]!);
      worst = Number.isNaN(difference) ? Infinity : Math.max(worst, difference);
    }
  }
  return worst / scale;
}

/** Uniform [0, 1) pixels for `batch` samples of `sampleShape`, the same for every contender. */
export function benchInput(sampleShape: readonly number[], batch: number, random: () => number): Float32Array {
  return Float32Array.from({ length: batch * sampleShape.reduce((a, b) => a * b, 1) }, random);
}

/** When to stop timing a row: after `maxRounds` rounds, or once `budgetMs` has passed (always at least one round). */
export function moreRounds(roundsDone: number, elapsedMs: number, maxRounds: number, budgetMs: number): boolean {
  return roundsDone === 0 || (roundsDone < maxRounds && elapsedMs < budgetMs);
}
