import type { Graph } from '../ir.js';
import { activationOf, fuseProducers } from './fuse.js';

const FUSES_RELU = new Set(['conv2d', 'dense', 'add']);

/** A relu that is the only consumer of a conv2d/dense/add output becomes that node's `activation: 'relu'`. */
export function fuseActivation(graph: Graph): Graph {
  return fuseProducers(graph, (producer, consumer) => {
    if (consumer.op !== 'relu' || !FUSES_RELU.has(producer.op) || activationOf(producer) !== 'none') return undefined;
    return { node: { ...producer, outputs: consumer.outputs, attrs: { ...producer.attrs, activation: 'relu' } } };
  });
}
