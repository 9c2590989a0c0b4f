import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/graph/ir.js';
import { expectClose, f32, makeNode, refTensor, runOp, ternary } from './helpers.js';

/** Every op once on numbers small enough to check by hand; the arithmetic is in the comments. */
describe('hand-computed cases', () => {
  it('normalize: (x − mean[c]) / std[c]', () => {
    // c0: (0.5 − 0.5)/0.25 = 0, (1 − 0.5)/0.25 = 2; c1: (0 − 0.2)/0.1 = −2, (0.3 − 0.2)/0.1 = 1
    const y = runOp(makeNode('normalize', ['x'], 'y', { mean: [0.5, 0.2], std: [0.25, 0.1] }), [refTensor([0.5, 1, 0, 0.3], [1, 2, 1, 2])]);
    expectClose(y.data, [0, 2, -2, 1]);
  });

  it('conv2d ternary 2×2, per-layer alpha, scale, bias, padding 1', () => {
    // x = [[1, 2], [3, 4]] (1 channel); w = [[+1, −1], [0, +1]], alpha 0.5 · scale 2 = multiplier 1, bias 1.
    // Padding 1, stride 1 → 3×3 output; cell (r, c) sees image rows r−1…r, cols c−1…c, w[i][j] on row r−1+i, col c−1+j.
    //   row 0: (0,0) x00·w11 = 1 → 2;  (0,1) x00·w10 + x01·w11 = 2 → 3;        (0,2) x01·w10 = 0 → 1
    //   row 1: (1,0) x00·w01 + x10·w11 = −1 + 3 = 2 → 3;  (1,1) 1 − 2 + 0 + 4 = 3 → 4;  (1,2) x01·w00 + x11·w10 = 2 → 3
    //   row 2: (2,0) x10·w01 = −3 → −2;  (2,1) x10·w00 + x11·w01 = 3 − 4 = −1 → 0;  (2,2) x11·w00 = 4 → 5
    const tensors = new Map<string, Tensor>([
      ['w', ternary([1, -1, 0, 1], [1, 1, 2, 2])],
      ['alpha', f32([0.5], [1])],
      ['scale', f32([2], [1])],
      ['bias', f32([1], [1])],
    ]);
    const node = makeNode('conv2d', ['x'], 'y', { kernel: [2, 2], padding: [1, 1] }, { weight: 'w', alpha: 'alpha', scale: 'scale', bias: 'bias' });
    const y = runOp(node, [refTensor([1, 2, 3, 4], [1, 1, 2, 2])], tensors);
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expectClose(y.data, [2, 3, 1, 3, 4, 3, -2, 0, 5]);
  });

  it('conv2d f32 1×1 with residual and relu, stride 2', () => {
    // 1×1 kernel w = [2] on a 3×3 ramp with stride 2 picks x at (0,0), (0,2), (2,0), (2,2) = 0, 2, 6, 8 → 0, 4, 12, 16;
    // residual −5 each → −5, −1, 7, 11 → relu → 0, 0, 7, 11
    const tensors = new Map<string, Tensor>([['w', f32([2], [1, 1, 1, 1])]]);
    const node = makeNode('conv2d', ['x', 'r'], 'y', { kernel: [1, 1], stride: [2, 2], activation: 'relu' }, { weight: 'w' });
    const y = runOp(node, [refTensor([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]), refTensor([-5, -5, -5, -5], [1, 1, 2, 2])], tensors);
    expectClose(y.data, [0, 0, 7, 11]);
  });

  it('dense ternary with per-channel alpha', () => {
    // w = [[+1, −1, 0], [0, +1, +1]], alpha = [2, 0.5], x = [3, 1, 4]
    // o0: 2·(3 − 1) = 4; o1: 0.5·(1 + 4) = 2.5
    const tensors = new Map<string, Tensor>([
      ['w', ternary([1, -1, 0, 0, 1, 1], [2, 3])],
      ['alpha', f32([2, 0.5], [2])],
    ]);
    const y = runOp(makeNode('dense', ['x'], 'y', {}, { weight: 'w', alpha: 'alpha' }), [refTensor([3, 1, 4], [1, 3])], tensors);
    expectClose(y.data, [4, 2.5]);
  });

  it('batchnorm: (x − mean)/√(var + ε)·γ + β', () => {
    // c0: mean 1, var 3, ε 1 → √4 = 2; γ 4, β 1: x = 5 → (4/2)·4 + 1 = 9
    // c1: mean 0, var 0, ε 1 → 1; γ −1, β 0.5: x = 2 → −2 + 0.5 = −1.5
    const tensors = new Map<string, Tensor>([
      ['g', f32([4, -1], [2])],
      ['b', f32([1, 0.5], [2])],
      ['m', f32([1, 0], [2])],
      ['v', f32([3, 0], [2])],
    ]);
    const node = makeNode('batchnorm', ['x'], 'y', { epsilon: 1 }, { gamma: 'g', beta: 'b', mean: 'm', var: 'v' });
    expectClose(runOp(node, [refTensor([5, 2], [1, 2])], tensors).data, [9, -1.5]);
  });

  it('relu: max(x, 0)', () => {
    expectClose(runOp(makeNode('relu', ['x'], 'y'), [refTensor([-2, 0, 3.5], [1, 3])]).data, [0, 0, 3.5]);
  });

  it('maxpool 2×2 stride 1 padding 1: padded cells are −∞', () => {
    // x = [[−1, −2], [−3, −4]]; 3×3 output; corner (0,0) sees only −1, (1,1) sees all four → −1, (2,2) sees −4.
    const y = runOp(makeNode('maxpool', ['x'], 'y', { kernel: [2, 2], stride: [1, 1], padding: [1, 1] }), [refTensor([-1, -2, -3, -4], [1, 1, 2, 2])]);
    expectClose(y.data, [-1, -1, -2, -1, -1, -2, -3, -3, -4]);
  });

  it('avgpool default stride = kernel; padded cells excluded from the count', () => {
    // 4×4 ramp 0…15, kernel 2 → stride 2: windows {0,1,4,5} → 2.5, {2,3,6,7} → 4.5, {8,9,12,13} → 10.5, {10,11,14,15} → 12.5
    const ramp = Array.from({ length: 16 }, (_, i) => i);
    expectClose(runOp(makeNode('avgpool', ['x'], 'y', { kernel: [2, 2] }), [refTensor(ramp, [1, 1, 4, 4])]).data, [2.5, 4.5, 10.5, 12.5]);
    // [1, 2] with kernel 1×2, stride 1, padding (0, 1): windows {pad, 1} → 1, {1, 2} → 1.5, {2, pad} → 2
    const padded = runOp(makeNode('avgpool', ['x'], 'y', { kernel: [1, 2], stride: [1, 1], padding: [0, 1] }), [refTensor([1, 2], [1, 1, 1, 2])]);
    expectClose(padded.data, [1, 1.5, 2]);
  });

  it('global_avgpool: mean over H×W per channel', () => {
    // c0: (1 + 2 + 3 + 6)/4 = 3; c1: (−4 + 0 + 0 + 0)/4 = −1
    const y = runOp(makeNode('global_avgpool', ['x'], 'y'), [refTensor([1, 2, 3, 6, -4, 0, 0, 0], [1, 2, 2, 2])]);
    expect(y.shape).toEqual([1, 2, 1, 1]);
    expectClose(y.data, [3, -1]);
  });

  it('add with relu: act(a + b)', () => {
    // [1 + 2, −3 + 1] = [3, −2] → relu → [3, 0]
    const y = runOp(makeNode('add', ['a', 'b'], 'y', { activation: 'relu' }), [refTensor([1, -3], [1, 2]), refTensor([2, 1], [1, 2])]);
    expectClose(y.data, [3, 0]);
  });

  it('flatten keeps row-major order', () => {
    const y = runOp(makeNode('flatten', ['x'], 'y'), [refTensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1])]);
    expect(y.shape).toEqual([2, 4]);
    expectClose(y.data, [1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('softmax: exp(x − max)/Σ, safe for huge logits', () => {
    // [0, ln 3] → [1, 3]/4; [1000, 1000] → [0.5, 0.5] (exp(1000) alone would overflow)
    const y = runOp(makeNode('softmax', ['x'], 'y'), [refTensor([0, Math.log(3), 1000, 1000], [2, 2])]);
    expectClose(y.data, [0.25, 0.75, 0.5, 0.5]);
  });
});
