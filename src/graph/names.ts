import type { Graph } from './ir.js';

/**
 * Names the IR makes up (the `normalize` node and its output, tensors created by folding) are `<stem>#<purpose>`,
 * e.g. `image#normalized`, `conv1.scale#folded`. A file may use `#` too, so every made-up name is checked against
 * all node, value and tensor names already taken, and gets `#2`, `#3`, … appended until it is unique.
 */
export function freshName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}#${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function takenNames(graph: Pick<Graph, 'input' | 'nodes' | 'tensors'>): Set<string> {
  const names = new Set<string>([graph.input.name, ...graph.tensors.keys()]);
  for (const node of graph.nodes) {
    names.add(node.name);
    for (const value of node.outputs) names.add(value);
  }
  return names;
}
