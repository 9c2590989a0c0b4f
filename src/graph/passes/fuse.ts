import type { Graph, GraphNode, Tensor } from '../ir.js';

/** What replaces a producer and its consumer: one node (placed where the consumer was) and any tensors it needs. */
export interface Fusion {
  readonly node: GraphNode;
  readonly newTensors?: ReadonlyMap<string, Tensor>;
}

/**
 * A rule sees a producer whose value feeds exactly one input of one consumer and is not a graph output — so
 * nothing else can observe the value the fusion removes — and returns the fused node, or undefined to leave them.
 */
export type FusionRule = (producer: GraphNode, consumer: GraphNode, value: string, graph: Graph) => Fusion | undefined;

/**
 * Applies `rule` until nothing matches. The fused node takes the consumer's place in the order: everything the
 * producer read was ready before it, everything the consumer read before the consumer, so the order stays valid.
 * Tensors no node uses any more are dropped.
 */
export function fuseProducers(graph: Graph, rule: FusionRule): Graph {
  let current = graph;
  for (let fused = fuseFirstMatch(current, rule); fused !== undefined; fused = fuseFirstMatch(current, rule)) {
    current = fused;
  }
  return current;
}

function fuseFirstMatch(graph: Graph, rule: FusionRule): Graph | undefined {
  const producerIndex = new Map<string, number>();
  const useCount = new Map<string, number>();
  graph.nodes.forEach((node, index) => {
    for (const value of node.outputs) producerIndex.set(value, index);
    for (const value of node.inputs) useCount.set(value, (useCount.get(value) ?? 0) + 1);
  });
  const graphOutputs = new Set(graph.outputs);
  for (const [consumerIndex, consumer] of graph.nodes.entries()) {
    for (const value of consumer.inputs) {
      const index = producerIndex.get(value);
      if (index === undefined || useCount.get(value) !== 1 || graphOutputs.has(value)) continue;
      const fusion = rule(graph.nodes[index]!, consumer, value, graph);
      if (fusion === undefined) continue;
      const nodes = graph.nodes.flatMap((node, i) => (i === index ? [] : i === consumerIndex ? [fusion.node] : [node]));
      const tensors = new Map([...graph.tensors, ...(fusion.newTensors ?? [])]);
      return { ...graph, nodes, tensors: usedTensors(nodes, tensors) };
    }
  }
  return undefined;
}

function usedTensors(nodes: readonly GraphNode[], tensors: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const used = new Set(nodes.flatMap((node) => Object.values(node.params)));
  return new Map([...tensors].filter(([name]) => used.has(name)));
}

/** conv2d/dense without a fused activation or residual yet: what every fusion may extend. */
export function isPlainLinear(node: GraphNode): boolean {
  return (node.op === 'conv2d' || node.op === 'dense') && node.inputs.length === 1 && activationOf(node) === 'none';
}

export function activationOf(node: GraphNode): string {
  return String(node.attrs.activation ?? 'none');
}
