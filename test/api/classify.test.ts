import { describe, expect, it } from 'vitest';
import { softmax, topK } from '../../src/api/classify.js';

describe('softmax', () => {
  it('sums to one and survives large logits', () => {
    const probabilities = softmax([1000, 1001, 999]);
    expect(probabilities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 6);
    expect(probabilities[1]).toBeGreaterThan(probabilities[0]!);
  });
});

describe('topK', () => {
  it('returns the k most probable classes in descending order, labelled', () => {
    const predictions = topK([0.1, 0.5, 0.05, 0.3, 0.05], ['a', 'b', 'c', 'd', 'e'], 3);
    expect(predictions).toEqual([
      { index: 1, label: 'b', probability: 0.5 },
      { index: 3, label: 'd', probability: 0.3 },
      { index: 0, label: 'a', probability: 0.1 },
    ]);
  });

  it('breaks ties by the lower index and labels unnamed classes by index', () => {
    expect(topK([0.25, 0.25, 0.5], [], 3).map((p) => p.label)).toEqual(['2', '0', '1']);
  });
});
