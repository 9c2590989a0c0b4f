import { elementCount } from './tensor.js';
import { unaryOp } from './unary.js';

const flattened = ([batch, ...rest]: readonly number[]) => [batch!, elementCount(rest)];

/** [N, …] → [N, product of the rest], row-major: the data does not move. */
export const flatten = unaryOp({
  type: 'flatten',
  ranks: [2, 3, 4],
  aliasesInput: true,
  outputShape: flattened,
  compute: (x) => ({ shape: flattened(x.shape), data: x.data.slice() }),
});
