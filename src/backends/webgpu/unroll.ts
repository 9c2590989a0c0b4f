/**
 * Unrolls the WGSL loops marked `// unroll:` (the line before `for (var i = 0u; i < BOUND; i++) {`, BOUND a literal
 * or one of `constants`), writing the body once per value of i with i replaced by that literal. Register tiles need
 * it: SwiftShader keeps a private array that any loop indexes in memory, one gather and scatter per access (2.3×
 * slower per layer), while literal indices let it live in registers. The loops stay loops in the source.
 */
export function unrollMarkedLoops(code: string, constants: Readonly<Record<string, number>>): string {
  const marker = /\/\/ unroll:[^\n]*\n(\s*)for \(var (\w+) = 0u; \2 < (\w+); \2\+\+\) \{\n/;
  for (let match = marker.exec(code); match !== null; match = marker.exec(code)) {
    const [header, indent, name, bound] = match as unknown as [string, string, string, string];
    const count = /^\d+u?$/.test(bound) ? parseInt(bound, 10) : constants[bound];
    if (count === undefined) throw new Error(`unroll: unknown loop bound ${bound}`);
    const bodyStart = match.index + header.length;
    const bodyEnd = matchingBrace(code, bodyStart);
    const body = code.slice(bodyStart, bodyEnd);
    const closing = code.indexOf('\n', bodyEnd) + 1;
    const counter = new RegExp(`\\b${name}\\b`, 'g');
    const copies = Array.from({ length: count }, (_, i) => `${indent}{\n${body.replace(counter, `${i}u`)}${indent}}\n`);
    code = code.slice(0, match.index) + copies.join('') + code.slice(closing);
  }
  return code;
}

/** The index of the `}` closing the block whose body starts at `start`. */
function matchingBrace(code: string, start: number): number {
  let depth = 1;
  for (let i = start; i < code.length; i++) {
    if (code[i] === '{') depth++;
    else if (code[i] === '}' && --depth === 0) return i;
  }
  throw new Error('unroll: unbalanced braces');
}
