/**
 * Generated graphs of a chosen size in the shapes a hostile file takes (issue 11): many nodes reading one value,
 * long chains, blocks sharing one weight, cycles. Used by the load-scaling tests and by the fuzzer.
 */
import type { StoredNode, TwnFile } from '../../src/format/types.js';
import type { Tensor } from '../../src/graph/ir.js';
import { packTernary } from '../../src/format/ternary-pack.js';

const INPUT = { name: 'image', shape: [1, 2, 2] as [number, number, number], colorLayout: 'gray' as const };

function file(nodes: StoredNode[], tensors: Map<string, Tensor>, output: string): TwnFile {
  return {
    input: { ...INPUT, mean: [0.5], std: [0.25], labels: [] },
    outputs: [output],
    nodes,
    tensors,
    metadata: { trained: false, architecture: 'generated' },
  };
}

function f32(values: number[], shape: number[]): Tensor {
  return { dtype: 'f32', shape, data: Float32Array.from(values) };
}

function node(name: string, op: string, inputs: string[], params: Record<string, string> = {}): StoredNode {
  return { name, op, inputs, outputs: [name], attrs: {}, params };
}

/** `count` relus all reading the input, summed pairwise by a chain of adds: wide fan-out, every node ready at once. */
export function parallelReaders(count: number): TwnFile {
  const nodes: StoredNode[] = [];
  for (let i = 0; i < count; i++) nodes.push(node(`r${i}`, 'relu', ['image']));
  let sum = 'r0';
  for (let i = 1; i < count; i++) {
    nodes.push(node(`s${i}`, 'add', [sum, `r${i}`]));
    sum = `s${i}`;
  }
  return file(nodes, new Map(), sum);
}

/** `count` relus in a chain; `cyclic` makes the first read the last instead of the input. */
export function reluChain(count: number, options: { cyclic?: boolean; reversed?: boolean } = {}): TwnFile {
  const nodes: StoredNode[] = [];
  for (let i = 0; i < count; i++) {
    const input = i > 0 ? `n${i - 1}` : options.cyclic === true ? `n${count - 1}` : 'image';
    nodes.push(node(`n${i}`, 'relu', [input]));
  }
  if (options.reversed === true) nodes.reverse();
  return file(nodes, new Map(), `n${count - 1}`);
}

/**
 * `count` conv → batchnorm → relu blocks in a chain, every conv using the same 1×1×3×3 ternary weight and every
 * batchnorm the same statistics: each block folds and fuses into one conv, and the weight is one tensor for all.
 */
export function sharedWeightBlocks(count: number): TwnFile {
  const tensors = new Map<string, Tensor>([
    ['w', { dtype: 'ternary2', shape: [1, 1, 3, 3], data: packTernary([1, 0, -1, 1, 1, 0, -1, 0, 1], [1, 1, 3, 3]) }],
    ['alpha', f32([0.5], [1])],
    ['gamma', f32([0.9], [1])],
    ['beta', f32([0.05], [1])],
    ['mean', f32([0.01], [1])],
    ['var', f32([1.1], [1])],
  ]);
  const nodes: StoredNode[] = [];
  let x = 'image';
  for (let i = 0; i < count; i++) {
    nodes.push({
      ...node(`c${i}`, 'conv2d', [x], { weight: 'w', alpha: 'alpha' }),
      attrs: { kernel: [3, 3], padding: [1, 1] },
    });
    nodes.push(node(`b${i}`, 'batchnorm', [`c${i}`], { gamma: 'gamma', beta: 'beta', mean: 'mean', var: 'var' }));
    nodes.push(node(`r${i}`, 'relu', [`b${i}`]));
    x = `r${i}`;
  }
  return file(nodes, tensors, x);
}
