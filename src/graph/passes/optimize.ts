import type { Graph } from '../ir.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { fuseActivation } from './fuse-activation.js';
import { fuseResidualAdd } from './fuse-residual-add.js';

/**
 * The passes in the order that lets each enable the next: batchnorm first (a layer with a batchnorm after it is no
 * plain conv yet), then the residual add (it needs the layer's activation still 'none'), then the relu that follows
 * either a layer or a now-fused add — conv→bn→add→relu becomes one conv2d with residual and relu.
 * The model loader (src/api/load.ts) is the one caller on the product path; the backends call it too, for graphs
 * handed to them directly (tests, benchmarks), where it returns an already optimized graph as it is.
 */
export function optimize(graph: Graph): Graph {
  if (graph.optimized) return graph;
  return { ...fuseActivation(fuseResidualAdd(foldBatchNorm(graph))), optimized: true };
}
