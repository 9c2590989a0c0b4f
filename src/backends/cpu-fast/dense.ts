import { denseAttrs } from '../../ops/dense.js';
import { shapeOf, type FastOp } from './kernel.js';
import { LinearLayer, type TileTarget } from './linear.js';

/**
 * dense as one tile whose lanes are the samples: x [N, K] transposed to k-major (`col[k·N + n]`), so blocks of eight
 * samples share each weight's load. A single sample is its own tile and needs no copy.
 */
export const fastDense: FastOp = (node, graph) => {
  const layer = new LinearLayer(node, graph.tensors, denseAttrs(node).activation === 'relu');
  return (step) => {
    const [batch, features] = shapeOf(step.inputShapes, 0) as [number, number];
    const rows = layer.rows.forWidth(batch);
    const target: TileTarget = { output: new Float32Array(0), residual: undefined, base: 0, channelStride: 1, laneStride: layer.rows.outChannels };
    return {
      scratchSize: batch === 1 ? 0 : batch * features,
      run({ inputs, output }, scratch) {
        const input = inputs[0]!;
        if (batch > 1) {
          for (let n = 0; n < batch; n++) {
            for (let k = 0; k < features; k++) scratch[k * batch + n] = input[n * features + k]!;
          }
        }
        target.output = output;
        target.residual = inputs[1];
        layer.runTile(rows, batch === 1 ? input : scratch, batch, target);
      },
    };
  };
};
