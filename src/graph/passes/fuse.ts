import type { Graph, GraphNode, Tensor } from '../ir.js';
import { freshName, takenNames } from '../names.js';

/** What replaces a producer and its consumer: one node (placed where the consumer was) and any tensors it needs. */
export interface Fusion {
  readonly node: GraphNode;
  readonly newTensors?: ReadonlyMap<string, Tensor>;
}

/** What a rule may consult while a pass runs: the tensors so far, and unique names for tensors it makes. */
export interface FusionContext {
  readonly tensors: ReadonlyMap<string, Tensor>;
  /** `base`, or `base#2`, `base#3`, … : a name no node, value or tensor has taken, reserved from then on. */
  freshName(base: string): string;
}

/**
 * A rule sees a producer whose value feeds exactly one input of one consumer and is not a graph output — so
 * nothing else can observe the value the fusion removes — and returns the fused node, or undefined to leave them.
 */
export type FusionRule = (
  producer: GraphNode,
  consumer: GraphNode,
  value: string,
  context: FusionContext,
) => Fusion | undefined;

/**
 * Applies `rule` until nothing matches, in one sweep over the nodes: O(nodes + edges) plus the rule's own work.
 * The fused node takes the consumer's place in the order: everything the producer read was ready before it,
 * everything the consumer read before the consumer, so the order stays valid. Since producers come first, a node
 * has taken every fusion as a consumer before it is offered as a producer; a fused node is offered again as a
 * consumer, so chains such as conv→bn→bn fold completely. Tensors no node uses any more are dropped.
 */
export function fuseProducers(graph: Graph, rule: FusionRule): Graph {
  const nodes: (GraphNode | undefined)[] = [...graph.nodes];
  const producerIndex = new Map<string, number>();
  const useCount = new Map<string, number>();
  const countUses = (node: GraphNode, delta: number) => {
    for (const value of node.inputs) useCount.set(value, (useCount.get(value) ?? 0) + delta);
  };
  nodes.forEach((node, index) => {
    for (const value of node!.outputs) producerIndex.set(value, index);
    countUses(node!, 1);
  });
  const graphOutputs = new Set(graph.outputs);
  const tensors = new Map(graph.tensors);
  const taken = takenNames(graph);
  const context: FusionContext = {
    tensors,
    freshName(base) {
      const name = freshName(base, taken);
      taken.add(name);
      return name;
    },
  };

  /** The first fusion with one of `consumer`'s producers, applied; false when none matches. */
  const fuseInto = (consumerIndex: number): boolean => {
    const consumer = nodes[consumerIndex]!;
    for (const value of consumer.inputs) {
      const index = producerIndex.get(value);
      if (index === undefined || useCount.get(value) !== 1 || graphOutputs.has(value)) continue;
      const producer = nodes[index]!;
      const fusion = rule(producer, consumer, value, context);
      if (fusion === undefined) continue;
      countUses(producer, -1);
      countUses(consumer, -1);
      countUses(fusion.node, 1);
      for (const [name, tensor] of fusion.newTensors ?? []) tensors.set(name, tensor);
      nodes[index] = undefined;
      nodes[consumerIndex] = fusion.node;
      for (const output of fusion.node.outputs) producerIndex.set(output, consumerIndex);
      return true;
    }
    return false;
  };
  for (let index = 0; index < nodes.length; index++) {
    if (nodes[index] !== undefined) while (fuseInto(index));
  }
  const kept = nodes.filter((node) => node !== undefined);
  return { ...graph, nodes: kept, tensors: usedTensors(kept, tensors) };
}

function usedTensors(nodes: readonly GraphNode[], tensors: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const used = new Set<string>();
  for (const node of nodes) for (const name of Object.values(node.params)) used.add(name);
  return new Map([...tensors].filter(([name]) => used.has(name)));
}

/** conv2d/dense without a fused activation or residual yet: what every fusion may extend. */
export function isPlainLinear(node: GraphNode): boolean {
  return (node.op === 'conv2d' || node.op === 'dense') && node.inputs.length === 1 && activationOf(node) === 'none';
}

export function activationOf(node: GraphNode): string {
  return String(node.attrs.activation ?? 'none');
}
