import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/graph/ir.js';
import { expectClose, f32, makeNode, randomSigns, refTensor, rng, runOp, ternary, uniform, type Rng } from './helpers.js';
import { naiveConv2d, naiveDense } from './naive.js';

type WeightKind = 'ternary per-layer' | 'ternary per-channel' | 'f32';

interface LinearCase {
  weight: WeightKind;
  scale: boolean;
  bias: boolean;
  residual: boolean;
  relu: boolean;
}

/** Weight tensors plus the float weights (alpha·sign or the f32 value, widened to float64) the naive code uses. */
function randomWeights(random: Rng, kind: WeightKind, shape: number[], c: LinearCase) {
  const outChannels = shape[0]!;
  const count = shape.reduce((a, b) => a * b, 1);
  const tensors = new Map<string, Tensor>();
  const params: Record<string, string> = { weight: 'w' };
  let floats: number[];
  if (kind === 'f32') {
    const weight = f32(uniform(random, count), shape);
    tensors.set('w', weight);
    floats = [...weight.data];
  } else {
    const signs = randomSigns(random, count);
    const alpha = f32(uniform(random, kind === 'ternary per-layer' ? 1 : outChannels, 0.1, 1), [kind === 'ternary per-layer' ? 1 : outChannels]);
    tensors.set('w', ternary(signs, shape)).set('alpha', alpha);
    params.alpha = 'alpha';
    const rowLength = count / outChannels;
    floats = signs.map((sign, i) => sign * alpha.data[alpha.data.length === 1 ? 0 : Math.floor(i / rowLength)]!);
  }
  let scale: number[] | undefined;
  let bias: number[] | undefined;
  if (c.scale) {
    const tensor = f32(uniform(random, outChannels, 0.5, 2), [outChannels]);
    tensors.set('scale', tensor);
    params.scale = 'scale';
    scale = [...tensor.data];
  }
  if (c.bias) {
    const tensor = f32(uniform(random, outChannels), [outChannels]);
    tensors.set('bias', tensor);
    params.bias = 'bias';
    bias = [...tensor.data];
  }
  return { tensors, params, floats, scale, bias };
}

/** Cycles the optional parts so every combination of weight kind × scale/bias/residual/relu shows up across cases. */
function variant(index: number): LinearCase {
  const kinds: WeightKind[] = ['ternary per-layer', 'ternary per-channel', 'f32'];
  return {
    weight: kinds[index % 3]!,
    scale: (index >> 0) % 2 === 1,
    bias: (index >> 1) % 2 === 1,
    residual: (index >> 2) % 2 === 1,
    relu: (index >> 3) % 2 === 1 || index % 5 === 0,
  };
}

interface ConvGeometry {
  batch: number;
  channels: number;
  size: [number, number];
  outChannels: number;
  kernel: number;
  stride: number;
  padding: number;
}

const convGeometries: ConvGeometry[] = [];
for (const kernel of [1, 3, 5, 7]) {
  for (const stride of [1, 2]) {
    for (const padding of [0, Math.floor(kernel / 2)]) {
      const i = convGeometries.length;
      convGeometries.push({
        batch: 1 + (i % 3),
        channels: [3, 17, 5, 33][i % 4]!,
        size: [9 + (i % 2), 8 + (i % 3)],
        outChannels: [17, 4, 33, 1][i % 4]!,
        kernel,
        stride,
        padding: Math.min(padding, kernel - 1),
      });
    }
  }
}
// A non-square kernel and unequal strides/paddings, so h/w are never swapped unnoticed.
convGeometries.push({ batch: 2, channels: 17, size: [7, 11], outChannels: 5, kernel: 0, stride: 0, padding: 0 });

describe('conv2d reference vs naive 6-loop convolution over decoded float weights', () => {
  convGeometries.forEach((g, index) => {
    const c = variant(index);
    const rectangular = g.kernel === 0;
    const kernel: [number, number] = rectangular ? [3, 5] : [g.kernel, g.kernel];
    const stride: [number, number] = rectangular ? [2, 1] : [g.stride, g.stride];
    const padding: [number, number] = rectangular ? [0, 2] : [g.padding, g.padding];
    const title = `k${kernel.join('x')} s${stride.join(',')} p${padding.join(',')} N${g.batch} C${g.channels}→${g.outChannels} ${g.size.join('x')} ${c.weight}${c.scale ? ' +scale' : ''}${c.bias ? ' +bias' : ''}${c.residual ? ' +residual' : ''}${c.relu ? ' relu' : ''}`;
    it(title, () => {
      const random = rng(1000 + index);
      const [height, width] = g.size;
      const x = uniform(random, g.batch * g.channels * height * width);
      const { tensors, params, floats, scale, bias } = randomWeights(random, c.weight, [g.outChannels, g.channels, ...kernel], c);
      const outHeight = Math.floor((height + 2 * padding[0] - kernel[0]) / stride[0]) + 1;
      const outWidth = Math.floor((width + 2 * padding[1] - kernel[1]) / stride[1]) + 1;
      const outShape = [g.batch, g.outChannels, outHeight, outWidth];
      const residual = c.residual ? uniform(random, outShape.reduce((a, b) => a * b, 1)) : undefined;
      const expected = naiveConv2d({
        x, batch: g.batch, channels: g.channels, height, width, weight: floats, outChannels: g.outChannels,
        kernel, stride, padding, scale, bias, residual, relu: c.relu,
      });
      const attrs = { kernel, stride, padding, activation: c.relu ? 'relu' : 'none' };
      const inputs = [refTensor(x, [g.batch, g.channels, height, width])];
      if (residual) inputs.push(refTensor(residual, outShape));
      const node = makeNode('conv2d', residual ? ['x', 'r'] : ['x'], 'y', attrs, params);
      const y = runOp(node, inputs, tensors);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y.data, expected.data);
    });
  });
});

describe('dense reference vs naive matrix product', () => {
  const shapes = [
    { batch: 1, features: 17, outFeatures: 33 },
    { batch: 3, features: 33, outFeatures: 10 },
    { batch: 2, features: 16, outFeatures: 17 },
    { batch: 4, features: 1, outFeatures: 5 },
    { batch: 2, features: 100, outFeatures: 1 },
  ];
  for (let index = 0; index < 15; index++) {
    const s = shapes[index % shapes.length]!;
    const c = variant(index);
    it(`N${s.batch} ${s.features}→${s.outFeatures} ${c.weight}${c.scale ? ' +scale' : ''}${c.bias ? ' +bias' : ''}${c.residual ? ' +residual' : ''}${c.relu ? ' relu' : ''}`, () => {
      const random = rng(2000 + index);
      const x = uniform(random, s.batch * s.features);
      const { tensors, params, floats, scale, bias } = randomWeights(random, c.weight, [s.outFeatures, s.features], c);
      const residual = c.residual ? uniform(random, s.batch * s.outFeatures) : undefined;
      const inputs = [refTensor(x, [s.batch, s.features])];
      if (residual) inputs.push(refTensor(residual, [s.batch, s.outFeatures]));
      const node = makeNode('dense', residual ? ['x', 'r'] : ['x'], 'y', { activation: c.relu ? 'relu' : 'none' }, params);
      const y = runOp(node, inputs, tensors);
      expect(y.shape).toEqual([s.batch, s.outFeatures]);
      expectClose(y.data, naiveDense(x, s.batch, floats, s.outFeatures, { scale, bias, residual, relu: c.relu }));
    });
  }
});
