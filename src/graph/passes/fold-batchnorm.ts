import { batchnormStats } from '../../ops/batchnorm.js';
import { f32Param } from '../../ops/params.js';
import type { Graph, Tensor } from '../ir.js';
import { fuseProducers, isPlainLinear } from './fuse.js';

/**
 * A batchnorm that is the only consumer of a conv2d/dense folds into the layer's per-channel scale and bias
 * (docs/FORMAT.md §6), computed in float64 and stored f32; the weight codes and alpha stay as they are. The new
 * tensors get fresh `<layer>.scale#folded` / `<layer>.bias#folded` names since the old ones may be shared.
 */
export function foldBatchNorm(graph: Graph): Graph {
  return fuseProducers(graph, (layer, consumer, _value, context) => {
    if (consumer.op !== 'batchnorm' || !isPlainLinear(layer)) return undefined;
    const { gamma, beta, mean, variance, epsilon } = batchnormStats(consumer, context.tensors);
    const scale = f32Param(layer, context.tensors, 'scale');
    const bias = f32Param(layer, context.tensors, 'bias');
    const channels = gamma.length;
    const foldedScale = new Float32Array(channels);
    const foldedBias = new Float32Array(channels);
    for (let o = 0; o < channels; o++) {
      const s = gamma[o]! / Math.sqrt(variance[o]! + epsilon);
      foldedScale[o] = (scale?.[o] ?? 1) * s;
      foldedBias[o] = ((bias?.[o] ?? 0) - mean[o]!) * s + beta[o]!;
    }
    const scaleName = context.freshName(`${layer.name}.scale#folded`);
    const biasName = context.freshName(`${layer.name}.bias#folded`);
    const tensor = (data: Float32Array): Tensor => ({ dtype: 'f32', shape: [channels], data });
    return {
      node: { ...layer, outputs: consumer.outputs, params: { ...layer.params, scale: scaleName, bias: biasName } },
      newTensors: new Map([
        [scaleName, tensor(foldedScale)],
        [biasName, tensor(foldedBias)],
      ]),
    };
  });
}
