import { zerosLike } from './tensor.js';
import { unaryOp } from './unary.js';

/** [N,C,H,W] → [N,C,1,1], the mean over H×W. */
export const globalAvgpool = unaryOp({
  type: 'global_avgpool',
  ranks: [4],
  outputShape: ([batch, channels]) => [batch!, channels!, 1, 1],
  compute(x) {
    const [batch, channels, height, width] = x.shape as [number, number, number, number];
    const planeSize = height * width;
    const y = zerosLike([batch, channels, 1, 1]);
    for (let plane = 0; plane < batch * channels; plane++) {
      let sum = 0;
      for (let i = plane * planeSize; i < (plane + 1) * planeSize; i++) sum += x.data[i]!;
      y.data[plane] = sum / planeSize;
    }
    return y;
  },
});
