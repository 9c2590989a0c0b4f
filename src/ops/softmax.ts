import { zerosLike } from './tensor.js';
import { unaryOp } from './unary.js';

/** Along K of [N, K], as `exp(x − max)/Σ` so large logits cannot overflow. */
export const softmax = unaryOp({
  type: 'softmax',
  ranks: [2],
  outputShape: (x) => [...x],
  compute(x) {
    const [batch, classes] = x.shape as [number, number];
    const y = zerosLike(x.shape);
    for (let n = 0; n < batch; n++) {
      const row = x.data.subarray(n * classes, (n + 1) * classes);
      // A loop, not Math.max(...row): a spread of K arguments overflows the stack for wide layers.
      const max = row.reduce((largest, value) => Math.max(largest, value), -Infinity);
      const exps = row.map((value) => Math.exp(value - max));
      const total = exps.reduce((sum, value) => sum + value, 0);
      y.data.set(exps.map((value) => value / total), n * classes);
    }
    return y;
  },
});
