import { relu as reluOf } from './activation.js';
import { unaryOp } from './unary.js';

/** `max(x, 0)` elementwise, any rank. */
export const relu = unaryOp({
  type: 'relu',
  ranks: [1, 2, 3, 4],
  outputShape: (x) => [...x],
  compute: (x) => ({ shape: [...x.shape], data: x.data.map(reluOf) }),
});
