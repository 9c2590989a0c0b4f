import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import type { TwnFile } from '../../src/format/types.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Graph } from '../../src/graph/ir.js';
import { foldBatchNorm } from '../../src/graph/passes/fold-batchnorm.js';
import { fuseActivation } from '../../src/graph/passes/fuse-activation.js';
import { fuseResidualAdd } from '../../src/graph/passes/fuse-residual-add.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { buildLeNet5File } from '../../src/models/lenet5.js';
import { planGraph } from '../../src/plan/plan.js';
import { expectClose, f32, rng, uniform } from '../ops/helpers.js';
import { smallFile, tinyResNetFile } from './fixtures.js';

const cpu = new CpuExecutor();

/** Runs the graph exactly as given (no passes), so optimized and unoptimized graphs can be compared. */
function runAsIs(graph: Graph, input: Float64Array, batch: number) {
  return cpu.run(planGraph(graph, batch), input, batch);
}

function randomInput(graph: Graph, batch: number, seed: number): Float64Array {
  return Float64Array.from(uniform(rng(seed), batch * graph.input.shape.reduce((a, b) => a * b, 1), 0, 1));
}

/** Every graph output agrees within float32 rounding of the folded scale/bias. */
function expectSameOutputs(a: Graph, b: Graph, batch = 2, seed = 11): void {
  const input = randomInput(a, batch, seed);
  const left = runAsIs(a, input, batch);
  const right = runAsIs(b, input, batch);
  expect([...right.keys()]).toEqual([...left.keys()]);
  for (const [name, tensor] of left) {
    expect(right.get(name)!.shape).toEqual(tensor.shape);
    expectClose(right.get(name)!.data, tensor.data, 1e-5);
  }
}

const ops = (graph: Graph) => graph.nodes.map((node) => node.op);

describe('foldBatchNorm', () => {
  it('conv→batchnorm→relu built by hand: folded into scale/bias, codes and alpha untouched, same outputs', () => {
    const graph = graphFromFile(smallFile());
    const folded = foldBatchNorm(graph);
    expect(ops(folded)).toEqual(['normalize', 'conv2d', 'relu', 'flatten', 'dense', 'softmax']);
    const conv = folded.nodes[1]!;
    expect(conv.outputs).toEqual(['bn1']);
    expect(conv.params).toEqual({ weight: 'conv1.weight', alpha: 'conv1.alpha', scale: 'conv1.scale#folded', bias: 'conv1.bias#folded' });
    expect(folded.tensors.get('conv1.weight')).toBe(graph.tensors.get('conv1.weight'));
    expect(folded.tensors.get('conv1.alpha')).toBe(graph.tensors.get('conv1.alpha'));
    expect([...folded.tensors.keys()].filter((name) => name.startsWith('bn1'))).toEqual([]);
    // s = γ/√(var + ε): channel 0: 1.5/√(0.9 + 1e-5); bias' = (0 − mean)·s + β = −0.05·s + 0.1
    const s0 = 1.5 / Math.sqrt(Math.fround(0.9) + 1e-5);
    expect(folded.tensors.get('conv1.scale#folded')!.data[0]).toBeCloseTo(s0, 6);
    expect(folded.tensors.get('conv1.bias#folded')!.data[0]).toBeCloseTo(-Math.fround(0.05) * s0 + Math.fround(0.1), 6);
    expectSameOutputs(graph, folded);
  });

  it('composes with an existing scale/bias and never reuses a taken name', () => {
    const file = smallFile();
    file.nodes[0]!.params.scale = 'conv1.scale#folded';
    file.nodes[0]!.params.bias = 'shared.bias';
    file.tensors.set('conv1.scale#folded', f32([2, 0.5], [2]));
    file.tensors.set('shared.bias', f32([0.3, -0.3], [2]));
    const graph = graphFromFile(file);
    const folded = foldBatchNorm(graph);
    expect(folded.nodes[1]!.params.scale).toBe('conv1.scale#folded#2');
    expect(folded.tensors.has('conv1.scale#folded')).toBe(false);
    expectSameOutputs(graph, folded);
  });

  it('leaves a batchnorm alone when the layer output is also read elsewhere or is a graph output', () => {
    const file = smallFile();
    file.outputs.push('conv1');
    const graph = graphFromFile(file);
    expect(ops(foldBatchNorm(graph))).toContain('batchnorm');
    expectSameOutputs(graph, optimize(graph));
  });

  it('LeNet-5 from the builders with explicit batchnorm equals the builder-folded file', () => {
    for (const granularity of ['per-layer', 'per-channel'] as const) {
      const unfolded = graphFromFile(buildLeNet5File({ seed: 5, granularity, foldBatchNorm: false }));
      const prefolded = graphFromFile(buildLeNet5File({ seed: 5, granularity }));
      expect(ops(unfolded)).toContain('batchnorm');
      const runtimeFolded = optimize(unfolded);
      expect(ops(runtimeFolded)).not.toContain('batchnorm');
      expect(ops(runtimeFolded)).toEqual(ops(optimize(prefolded)));
      expectSameOutputs(unfolded, runtimeFolded, 2, 3);
      expectSameOutputs(prefolded, runtimeFolded, 2, 3);
    }
  });
});

describe('fuseActivation and fuseResidualAdd', () => {
  it('a ResNet-like graph collapses to conv2d nodes with residual inputs and relu, same outputs', () => {
    const graph = graphFromFile(tinyResNetFile({ seed: 9, foldBatchNorm: false, granularity: 'per-channel' }));
    const optimized = optimize(graph);
    expect(ops(optimized)).toEqual([
      'normalize', 'conv2d', 'conv2d', 'conv2d', 'conv2d', 'conv2d', 'conv2d', 'global_avgpool', 'flatten', 'dense',
    ]);
    const block1 = optimized.nodes.find((n) => n.name === 'block1.conv2')!;
    expect(block1.inputs).toEqual(['block1.relu1', 'stem.relu']);
    expect(block1.outputs).toEqual(['block1.relu2']);
    expect(block1.attrs.activation).toBe('relu');
    const block2 = optimized.nodes.find((n) => n.name === 'block2.conv2')!;
    expect(block2.inputs).toEqual(['block2.relu1', 'block2.down.bn']);
    expect(optimized.nodes.filter((n) => n.inputs.length === 2)).toHaveLength(2);
    expectSameOutputs(graph, optimized);
    expectSameOutputs(graphFromFile(tinyResNetFile({ seed: 9, foldBatchNorm: true, granularity: 'per-channel' })), optimized);
  });

  it('each pass alone preserves outputs, in any order', () => {
    const graph = foldBatchNorm(graphFromFile(tinyResNetFile({ seed: 4, foldBatchNorm: false })));
    expectSameOutputs(graph, fuseActivation(graph));
    expectSameOutputs(graph, fuseResidualAdd(graph));
    expectSameOutputs(graph, fuseResidualAdd(fuseActivation(graph)));
  });

  it('never fuses a value that is a graph output, nor a relu after an already activated layer', () => {
    const file = tinyResNetFile({ seed: 2, foldBatchNorm: true });
    file.outputs.push('block1.add', 'stem');
    const graph = graphFromFile(file);
    const optimized = optimize(graph);
    const producers = new Set(optimized.nodes.flatMap((n) => n.outputs));
    for (const output of graph.outputs) expect(producers.has(output)).toBe(true);
    expect(optimized.nodes.find((n) => n.outputs.includes('block1.add'))!.op).toBe('conv2d');
    expect(optimized.nodes.find((n) => n.outputs.includes('block1.relu2'))!.op).toBe('relu');
    expect(optimized.nodes.find((n) => n.outputs.includes('stem.relu'))!.op).toBe('relu');
    expectSameOutputs(graph, optimized);

    const doubled: TwnFile = smallFile();
    doubled.nodes[0]!.attrs.activation = 'relu';
    doubled.nodes.splice(1, 1);
    doubled.nodes[1]!.inputs = ['conv1'];
    for (const name of ['gamma', 'beta', 'mean', 'var']) doubled.tensors.delete(`bn1.${name}`);
    expect(ops(optimize(graphFromFile(doubled)))).toContain('relu');
  });

  it('add whose operands are both plain layers fuses one of them', () => {
    const file = tinyResNetFile({ seed: 6, foldBatchNorm: true });
    const graph = graphFromFile(file);
    const fused = fuseResidualAdd(graph);
    expect(ops(fused).filter((op) => op === 'add')).toHaveLength(0);
    expectSameOutputs(graph, fused);
  });
});
