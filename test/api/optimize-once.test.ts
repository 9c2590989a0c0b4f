import { describe, expect, it } from 'vitest';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { buildResNet18 } from '../../src/models/index.js';

describe('graph optimisation runs once per model', () => {
  const graph = graphFromFile(readTwnFile(buildResNet18({ seed: 3, variant: 'cifar' })));

  it('fuses, and hands an optimized graph back as it is (the backends call it again for direct callers)', () => {
    const optimized = optimize(graph);
    expect(optimized.nodes.length).toBeLessThan(graph.nodes.length);
    expect(optimized.optimized).toBe(true);
    expect(optimize(optimized)).toBe(optimized);
  });

  it('a structured clone (what the CPU worker receives) is still known as optimized', () => {
    const clone = structuredClone(optimize(graph));
    expect(optimize(clone)).toBe(clone);
    expect(clone.nodes.map((node) => node.op)).toEqual(optimize(graph).nodes.map((node) => node.op));
  });
});
