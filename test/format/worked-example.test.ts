import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTwnFile } from '../../src/format/reader.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { workedExampleFile } from './fixtures.js';

/** The bytes of the `hexdump -C -v` block in docs/FORMAT.md §9: offset, up to 16 hex bytes, then `|ascii|`. */
function documentedBytes(): Uint8Array {
  const markdown = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8');
  const section = markdown.slice(markdown.indexOf('## 9. Worked example'));
  const bytes: number[] = [];
  for (const line of section.split('\n')) {
    const row = /^([0-9a-f]{8}) {2}([0-9a-f ]+?) *\|/.exec(line);
    if (row === null) continue;
    expect(parseInt(row[1]!, 16), `offset of "${line}"`).toBe(bytes.length);
    bytes.push(...row[2]!.trim().split(/ +/).map((hex) => parseInt(hex, 16)));
  }
  return Uint8Array.from(bytes);
}

describe('docs/FORMAT.md §9 worked example', () => {
  it('is byte for byte what the writer produces', () => {
    const documented = documentedBytes();
    expect(documented.length).toBe(840);
    expect([...documented]).toEqual([...writeTwnFile(workedExampleFile())]);
  });

  it('reads back to the documented tensors', () => {
    const file = readTwnFile(documentedBytes());
    expect([...file.tensors.get('fc.weight')!.data]).toEqual([0x21, 0x18]);
    expect([...file.tensors.get('fc.alpha')!.data]).toEqual([0.5]);
    expect([...file.tensors.get('fc.bias')!.data]).toEqual([0.25, -1]);
  });
});
