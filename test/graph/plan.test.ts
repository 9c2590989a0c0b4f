import { describe, expect, it } from 'vitest';
import { TwnInputError } from '../../src/errors.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Graph } from '../../src/graph/ir.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { inferShapes } from '../../src/graph/shapes.js';
import { buildResNet18File } from '../../src/models/resnet18.js';
import { planGraph, type ExecutionPlan } from '../../src/plan/plan.js';
import { smallFile, tinyResNetFile } from './fixtures.js';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Recomputes liveness independently: a value lives from the step that makes it (−1 for the input) to its last
 * reader; the input and graph outputs live forever. Two values may share a slot while both live only if one is a
 * flatten view of the other.
 */
function checkPlan(plan: ExecutionPlan): { peakLive: number } {
  const { graph } = plan;
  const born = new Map<string, number>([[graph.input.name, -1]]);
  const dies = new Map<string, number>([[graph.input.name, Infinity]]);
  const viewOf = new Map<string, string>();
  graph.nodes.forEach((node, step) => {
    for (const value of node.outputs) {
      born.set(value, step);
      dies.set(value, graph.outputs.includes(value) ? Infinity : step);
      if (node.op === 'flatten') viewOf.set(value, node.inputs[0]!);
    }
    for (const value of node.inputs) dies.set(value, Math.max(dies.get(value)!, step));
  });
  const sameStorage = (a: string, b: string) => {
    const root = (v: string): string => (viewOf.has(v) ? root(viewOf.get(v)!) : v);
    return root(a) === root(b);
  };
  const values = [...born.keys()];
  expect(new Set(plan.valueSlot.keys())).toEqual(new Set(values));
  for (const value of values) {
    expect(plan.slots[plan.valueSlot.get(value)!]!).toBeGreaterThanOrEqual(size(plan.shapes.get(value)!));
  }
  for (const [i, a] of values.entries()) {
    for (const b of values.slice(i + 1)) {
      if (plan.valueSlot.get(a) !== plan.valueSlot.get(b) || sameStorage(a, b)) continue;
      const overlap = born.get(a)! <= dies.get(b)! && born.get(b)! <= dies.get(a)!;
      expect(overlap, `"${a}" and "${b}" share slot ${plan.valueSlot.get(a)} while both live`).toBe(false);
    }
  }
  // The input's and outputs' slots belong to them alone (and their views).
  for (const owner of [graph.input.name, ...graph.outputs]) {
    const sharing = values.filter((v) => plan.valueSlot.get(v) === plan.valueSlot.get(owner) && !sameStorage(v, owner));
    expect(sharing, `slot of "${owner}"`).toEqual([]);
  }
  // The least memory any assignment needs: the most that is live at once (a view adds nothing).
  let peakLive = 0;
  for (let step = -1; step < graph.nodes.length; step++) {
    const live = values.filter((v) => !viewOf.has(v) && born.get(v)! <= step && step <= dies.get(v)!);
    peakLive = Math.max(peakLive, live.reduce((sum, v) => sum + size(plan.shapes.get(v)!), 0));
  }
  return { peakLive };
}

function planCost(plan: ExecutionPlan) {
  const slotted = plan.slots.reduce((a, b) => a + b, 0);
  const perValue = [...plan.valueSlot.keys()].reduce((sum, value) => sum + size(plan.shapes.get(value)!), 0);
  return { slotted, perValue };
}

describe('planGraph', () => {
  it('orders steps with their shapes and gives flatten a view of its input', () => {
    const graph = optimize(graphFromFile(smallFile()));
    const plan = planGraph(graph, 4);
    expect(plan.batch).toBe(4);
    expect(plan.steps.map((s) => s.node)).toEqual(graph.nodes);
    const shapes = inferShapes(graph, 4);
    for (const step of plan.steps) {
      expect(step.inputShapes).toEqual(step.node.inputs.map((v) => shapes.get(v)));
      expect(step.outputShapes).toEqual(step.node.outputs.map((v) => shapes.get(v)));
    }
    expect(plan.valueSlot.get('flat')).toBe(plan.valueSlot.get('relu1'));
    checkPlan(plan);
    // image, image#normalized, relu1 (= flat), logits, probs: a chain needs input + output + two that alternate.
    expect(plan.slots).toHaveLength(4);
  });

  it('rejects a batch that is not a positive integer', () => {
    const graph = graphFromFile(smallFile());
    for (const batch of [0, -1, 1.5, Number.NaN]) expect(() => planGraph(graph, batch)).toThrow(TwnInputError);
  });

  const graphs: [string, () => Graph][] = [
    ['tiny ResNet, unoptimized', () => graphFromFile(tinyResNetFile({ seed: 1, foldBatchNorm: false }))],
    ['tiny ResNet, optimized', () => optimize(graphFromFile(tinyResNetFile({ seed: 1, foldBatchNorm: false })))],
    ['tiny ResNet with extra outputs', () => {
      const file = tinyResNetFile({ seed: 1, foldBatchNorm: true });
      file.outputs.push('block1.relu2', 'flatten');
      return optimize(graphFromFile(file));
    }],
  ];
  for (const [name, build] of graphs) {
    it(`no two live values share a slot, and reuse beats one buffer per value: ${name}`, () => {
      for (const batch of [1, 3]) {
        const plan = planGraph(build(), batch);
        checkPlan(plan);
        const { slotted, perValue } = planCost(plan);
        expect(slotted).toBeLessThan(perValue);
      }
    });
  }

  it('ResNet-18 (CIFAR) from the builders: valid plan, memory near the live peak, far under one buffer per value', () => {
    const graph = graphFromFile(buildResNet18File({ seed: 1, variant: 'cifar' }));
    for (const g of [graph, optimize(graph)]) {
      const plan = planGraph(g, 2);
      const { peakLive } = checkPlan(plan);
      const { slotted, perValue } = planCost(plan);
      expect(slotted).toBeLessThan(perValue / 3);
      expect(slotted).toBeLessThanOrEqual(peakLive * 1.05);
    }
  });
});
