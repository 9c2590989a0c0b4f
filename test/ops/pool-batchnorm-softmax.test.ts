import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/graph/ir.js';
import { expectClose, f32, makeNode, refTensor, rng, runOp, uniform } from './helpers.js';
import { naivePool } from './naive.js';

describe('maxpool/avgpool vs naive window gathering', () => {
  const cases: { shape: [number, number, number, number]; kernel: [number, number]; stride?: [number, number]; padding?: [number, number] }[] = [
    { shape: [1, 3, 8, 8], kernel: [2, 2] },
    { shape: [2, 17, 9, 7], kernel: [3, 3], stride: [2, 2], padding: [1, 1] },
    { shape: [3, 5, 11, 11], kernel: [3, 3], stride: [1, 1], padding: [1, 1] },
    { shape: [1, 33, 7, 9], kernel: [5, 3], stride: [2, 1], padding: [2, 0] },
    { shape: [2, 4, 15, 15], kernel: [7, 7], stride: [8, 8], padding: [3, 3] },
  ];
  cases.forEach((c, index) => {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind}pool ${c.shape.join('x')} k${c.kernel.join('x')} s${(c.stride ?? c.kernel).join(',')} p${(c.padding ?? [0, 0]).join(',')}`, () => {
        const x = uniform(rng(3000 + index), c.shape.reduce((a, b) => a * b, 1));
        const attrs = { kernel: c.kernel, ...(c.stride && { stride: c.stride }), ...(c.padding && { padding: c.padding }) };
        const y = runOp(makeNode(`${kind}pool`, ['x'], 'y', attrs), [refTensor(x, c.shape)]);
        expectClose(y.data, naivePool(x, c.shape, c.kernel, c.stride ?? c.kernel, c.padding ?? [0, 0], kind));
      });
    }
  });
});

describe('per-channel ops vs direct formulas', () => {
  it('batchnorm on [N, C, H, W] with C = 17, N = 2', () => {
    const random = rng(4000);
    const [n, c, h, w] = [2, 17, 3, 5];
    const x = uniform(random, n * c * h * w);
    const stats = { g: uniform(random, c), b: uniform(random, c), m: uniform(random, c), v: uniform(random, c, 0, 2) };
    const tensors = new Map<string, Tensor>(Object.entries(stats).map(([name, values]) => [name, f32(values, [c])]));
    const node = makeNode('batchnorm', ['x'], 'y', {}, { gamma: 'g', beta: 'b', mean: 'm', var: 'v' });
    const y = runOp(node, [refTensor(x, [n, c, h, w])], tensors);
    const at = (name: keyof typeof stats, channel: number) => tensors.get(name)!.data[channel]!;
    // Written as a multiply by the reciprocal standard deviation, per element, from the channel index alone.
    const expected = x.map((value, i) => {
      const channel = Math.floor(i / (h * w)) % c;
      return (value - at('m', channel)) * (1 / Math.sqrt(at('v', channel) + 1e-5)) * at('g', channel) + at('b', channel);
    });
    expectClose(y.data, expected, 1e-12);
  });

  it('softmax rows sum to 1 and match exp(x)/Σexp(x) for moderate logits', () => {
    const x = uniform(rng(4001), 3 * 10, -5, 5);
    const y = runOp(makeNode('softmax', ['x'], 'y'), [refTensor(x, [3, 10])]);
    for (let row = 0; row < 3; row++) {
      const logits = x.slice(row * 10, row * 10 + 10);
      const total = logits.reduce((sum, v) => sum + Math.exp(v), 0);
      expectClose(y.data.slice(row * 10, row * 10 + 10), logits.map((v) => Math.exp(v) / total), 1e-12);
    }
  });

  it('global_avgpool equals avgpool with the whole plane as kernel', () => {
    const x = uniform(rng(4002), 2 * 17 * 5 * 5);
    const global = runOp(makeNode('global_avgpool', ['x'], 'y'), [refTensor(x, [2, 17, 5, 5])]);
    expect(global.shape).toEqual([2, 17, 1, 1]);
    expectClose(global.data, naivePool(x, [2, 17, 5, 5], [5, 5], [5, 5], [0, 0], 'avg'));
  });
});
