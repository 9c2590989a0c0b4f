/**
 * One test per rule that docs/FORMAT.md revision 1.1 settles (§1 first checks, whitespace, depth, duplicate keys,
 * canonical form; §2 integer spelling; §3 labels; §4 outputs per node, layer defaults, attribute forms, normalize,
 * kernel mismatch; §7 width; §8 order of checks), each on the worked example or a small variant of it.
 */
import { describe, expect, it } from 'vitest';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { FastCpuExecutor } from '../../src/backends/cpu-fast/executor.js';
import { TwnFormatError } from '../../src/errors.js';
import { readTwnFile } from '../../src/format/reader.js';
import type { TwnFile } from '../../src/format/types.js';
import { writeTwnFile } from '../../src/format/writer.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { smallFile } from '../graph/fixtures.js';
import { editHeader, editHeaderText, workedExampleFile } from './fixtures.js';

const valid = writeTwnFile(workedExampleFile());
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** The error `load` throws, reading the bytes and building the graph as loadModel does. */
function failure(bytes: Uint8Array): TwnFormatError {
  try {
    graphFromFile(readTwnFile(bytes));
  } catch (error) {
    if (error instanceof TwnFormatError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

function expectFailure(bytes: Uint8Array, code: string, path?: string): void {
  const error = failure(bytes);
  expect(error.code).toBe(code);
  if (path !== undefined) expect(error.path).toBe(path);
}

const written = (file: TwnFile) => writeTwnFile(file);

describe('§1 the first checks: the magic on the bytes there are, then the length', () => {
  it.each([
    ['an empty file', new Uint8Array(0), 'TRUNCATED'],
    ['"TW"', ascii('TW'), 'TRUNCATED'],
    ['"TWN!" and 6 more bytes', ascii('TWN!\x01\x00\x00\x00\x00\x00'), 'TRUNCATED'],
    ['a 3-byte zip start', ascii('PK\x03'), 'BAD_MAGIC'],
    ['"TWX"', ascii('TWX'), 'BAD_MAGIC'],
    ['a 10-byte PNG start', Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0), 'BAD_MAGIC'],
  ])('%s → %s', (_, bytes, code) => expectFailure(bytes, code));
});

describe('§1 whitespace in the header', () => {
  const spaced = (ws: string) =>
    editHeaderText(valid, (text) => text.replaceAll(',"', `,${ws}"`).replace('{', `{${ws}`));
  it.each([' ', '\t', '\n', '\r\n', ' \t\r\n'])(
    'JSON whitespace %j between tokens and at the end is accepted',
    (ws) => {
      const bytes = editHeaderText(spaced(ws), (text) => `${text}${ws}`);
      expect(readTwnFile(bytes)).toEqual(readTwnFile(valid));
    },
  );
  it.each(['\u00a0', '\u2028', '\u0000', '\u000b', '\ufeff'])('%j outside a string is HEADER_NOT_JSON', (ws) => {
    expectFailure(spaced(ws), 'HEADER_NOT_JSON');
  });
});

describe('§1 nesting depth: the top-level object is level 1', () => {
  // metadata is level 2, so an array nested `n` deep inside it reaches level 2 + n.
  const nested = (n: number) =>
    editHeaderText(valid, (text) =>
      text.replace('"trained":false', `"trained":false,"x":${'['.repeat(n)}${']'.repeat(n)}`),
    );
  it('64 levels are read', () => expect(readTwnFile(nested(62)).metadata.x).toBeDefined());
  it('65 levels are HEADER_NOT_JSON', () => expectFailure(nested(63), 'HEADER_NOT_JSON'));
});

describe('§1 duplicate keys', () => {
  it.each([
    ['a second dataCrc32', (t: string) => t.replace('"dataCrc32":', '"dataCrc32":0,"dataCrc32":'), '$.dataCrc32'],
    [
      'a tensor entry listed twice',
      (t: string) =>
        t.replace('"tensors":{', '"tensors":{"fc.bias":{"dtype":"f32","shape":[2],"offset":128,"length":8},'),
      '$.tensors["fc.bias"]',
    ],
    ['a key repeated in a node', (t: string) => t.replace('"op":"dense"', '"op":"dense","op":"relu"'), '$.nodes[1].op'],
    [
      'a repeat spelled with an escape',
      (t: string) => t.replace('"dataLength":', '"\\u0064ataLength":136,"dataLength":'),
      '$.dataLength',
    ],
    [
      'a repeat inside an attribute object',
      (t: string) => t.replace('"attrs":{}', '"attrs":{"a":1,"a":2}'),
      '$.nodes[0].attrs.a',
    ],
  ])('%s → DUPLICATE_KEY at %s', (_, edit, path) => {
    expectFailure(editHeaderText(valid, edit), 'DUPLICATE_KEY', path);
  });

  it('the same key in different objects is fine', () => {
    expect(readTwnFile(valid).nodes.map((node) => node.name)).toEqual(['flatten', 'fc']);
  });
});

describe('§1.1 canonical form', () => {
  it('a valid file with whitespace, 64.0 and omitted attrs/params re-writes to the canonical bytes', () => {
    const loose = editHeaderText(valid, (text) =>
      text.replace('"offset":64,', '"offset":64.0,').replace(',"attrs":{},"params":{}', '').replaceAll(',', ' ,\n'),
    );
    expect(loose).not.toEqual(valid);
    expect(writeTwnFile(readTwnFile(loose))).toEqual(valid);
  });
});

describe('§2 integers are judged by value, not spelling', () => {
  it.each(['64.0', '6.4e1', '640e-1', '64E0'])('offset %s is 64', (spelled) => {
    const bytes = editHeaderText(valid, (text) => text.replace('"offset":64,', `"offset":${spelled},`));
    expect(readTwnFile(bytes)).toEqual(readTwnFile(valid));
  });
  it('-0 is 0', () => {
    const bytes = editHeaderText(valid, (text) => text.replace('"offset":0,', '"offset":-0,'));
    expect(readTwnFile(bytes)).toEqual(readTwnFile(valid));
  });
  it('64.5 is not an integer: SCHEMA', () => {
    expectFailure(
      editHeaderText(valid, (text) => text.replace('"offset":64,', '"offset":64.5,')),
      'SCHEMA',
      '$.tensors["fc.alpha"].offset',
    );
  });
});

describe('§3 labels', () => {
  it('empty, or one per output value; another count is BAD_OUTPUT at $.input.labels', () => {
    expect(graphFromFile(readTwnFile(editHeader(valid, (json) => (json.input.labels = [])))).input.labels).toEqual([]);
    expectFailure(
      editHeader(valid, (json) => (json.input.labels = ['only one'])),
      'BAD_OUTPUT',
      '$.input.labels',
    );
    expectFailure(
      editHeader(valid, (json) => json.input.labels.push('three')),
      'BAD_OUTPUT',
      '$.input.labels',
    );
  });
  it('required', () =>
    expectFailure(
      editHeader(valid, (json) => delete json.input.labels),
      'SCHEMA',
      '$.input.labels',
    ));
});

describe('§4 nodes', () => {
  it('exactly one output per node: SCHEMA otherwise', () => {
    expectFailure(
      editHeader(valid, (json) => (json.nodes[0].outputs = ['flat', 'flat2'])),
      'SCHEMA',
      '$.nodes[0].outputs',
    );
    expectFailure(
      editHeader(valid, (json) => (json.nodes[0].outputs = [])),
      'SCHEMA',
      '$.nodes[0].outputs',
    );
  });

  it('layer defaults: α = 1 for f32, a length-1 α applies to every channel, scale 1 and bias 0 when absent', () => {
    // x = (p − 0.5)/0.25 for p = (1, 0.5, 0.75) → (2, 0, 1). Weight rows (+1, 0, −1) and (0, −1, +1).
    const input = new Float32Array([1, 0.5, 0.75]);
    const expectLogits = (file: TwnFile, expected: number[]) => {
      const graph = graphFromFile(readTwnFile(written(file)));
      const reference = new CpuExecutor().run(graph, input, 1).get('logits')!.data;
      expect([...reference]).toEqual(expected);
      expect([...new FastCpuExecutor().run(graph, input, 1).get('logits')!.data]).toEqual(expected);
    };
    const ternaryNoBias = workedExampleFile();
    delete ternaryNoBias.nodes[1]!.params.bias;
    ternaryNoBias.tensors.delete('fc.bias');
    expectLogits(ternaryNoBias, [0.5 * (2 - 1), 0.5 * (1 - 0)]); // α = 0.5 on both rows, no scale, no bias
    const float = workedExampleFile();
    float.nodes[1]!.params = { weight: 'fc.weight' };
    float.tensors = new Map([
      ['fc.weight', { dtype: 'f32', shape: [2, 3], data: Float32Array.of(1, 0, -1, 0, -1, 1) }],
    ]);
    expectLogits(float, [2 - 1, 1 - 0]); // α = 1 for f32
  });

  it.each([
    ['a bare number', 2],
    ['three entries', [2, 2, 2]],
    ['a fraction', [2.5, 2]],
    ['strings', ['2', '2']],
  ])('pool attributes are [h, w] integer pairs: %s is BAD_ATTRIBUTE', (_, kernel) => {
    const file = smallFile();
    file.nodes.splice(3, 0, {
      name: 'pool',
      op: 'maxpool',
      inputs: ['relu1'],
      outputs: ['pool'],
      attrs: { kernel: kernel as number[] },
      params: {},
    });
    file.nodes[4]!.inputs = ['pool'];
    expectFailure(
      editHeader(written(smallFile()), (json) => (json.nodes = file.nodes)),
      'BAD_ATTRIBUTE',
      '$.nodes[3].attrs.kernel',
    );
  });

  it('a kernel attribute other than the weight’s is BAD_ATTRIBUTE at attrs.kernel', () => {
    expectFailure(
      editHeader(written(smallFile()), (json) => (json.nodes[0].attrs.kernel = [5, 5])),
      'BAD_ATTRIBUTE',
      '$.nodes[0].attrs.kernel',
    );
  });

  it('a normalize node in a file is UNKNOWN_OP at its op', () => {
    const bytes = editHeader(valid, (json) => {
      json.nodes.unshift({
        name: 'n',
        op: 'normalize',
        inputs: ['image'],
        outputs: ['n'],
        attrs: { mean: [0], std: [1] },
      });
    });
    expectFailure(bytes, 'UNKNOWN_OP', '$.nodes[0].op');
  });
});

describe('§7 metadata width', () => {
  it('a finite number > 0', () => {
    expect(readTwnFile(editHeader(valid, (json) => (json.metadata.width = 0.5))).metadata.width).toBe(0.5);
    expectFailure(
      editHeader(valid, (json) => (json.metadata.width = 0)),
      'SCHEMA',
      '$.metadata.width',
    );
    expectFailure(
      editHeader(valid, (json) => (json.metadata.width = '0.5')),
      'SCHEMA',
      '$.metadata.width',
    );
  });
});

type HeaderEdit = Parameters<typeof editHeader>[1];

describe('§8 order of checks', () => {
  const cases: [string, HeaderEdit, string][] = [
    [
      'UNSUPPORTED_DTYPE (schema) before a misaligned offset',
      (json) => Object.assign(json.tensors['fc.alpha'], { dtype: 'f16', offset: 66 }),
      'UNSUPPORTED_DTYPE',
    ],
    [
      'TENSOR_MISALIGNED before out of bounds',
      (json) => (json.tensors['fc.bias'].offset = 1002),
      'TENSOR_MISALIGNED',
    ],
    [
      'TENSOR_OUT_OF_BOUNDS before the length',
      (json) => Object.assign(json.tensors['fc.bias'], { offset: 1000, length: 12 }),
      'TENSOR_OUT_OF_BOUNDS',
    ],
    [
      'an earlier tensor’s length before a later one’s alignment',
      (json) => {
        json.tensors['fc.weight'].length = 12;
        json.tensors['fc.bias'].offset = 130;
      },
      'TENSOR_SIZE_MISMATCH',
    ],
    [
      'UNKNOWN_OP before DUPLICATE_NAME',
      (json) => {
        json.nodes[1].name = 'flatten';
        json.nodes[1].op = 'gelu';
      },
      'UNKNOWN_OP',
    ],
    [
      'UNDEFINED_INPUT before BAD_ATTRIBUTE',
      (json) => {
        json.nodes[0].attrs = { bogus: 1 };
        json.nodes[1].inputs = ['nowhere'];
      },
      'UNDEFINED_INPUT',
    ],
    [
      'UNUSED_TENSOR before BAD_PARAM',
      (json) => {
        json.nodes[1].params = { weight: 'fc.weight', bias: 'fc.bias' };
      },
      'UNUSED_TENSOR',
    ],
    [
      'BAD_OUTPUT before CYCLE',
      (json) => {
        json.nodes[0].inputs = ['logits'];
        json.outputs = ['nothing'];
      },
      'BAD_OUTPUT',
    ],
    ['CYCLE before SHAPE_MISMATCH', (json) => (json.nodes[0].inputs = ['logits']), 'CYCLE'],
  ];
  it.each(cases)('%s', (_, edit, code) => expectFailure(editHeader(valid, edit), code));

  it('CHECKSUM_MISMATCH before the contents', () => {
    const bytes = valid.slice();
    bytes[bytes.length - 8] = 0xff; // fc.bias[0] becomes NaN-free garbage, but the CRC fails first
    bytes[bytes.length - 5] = 0xff;
    expectFailure(bytes, 'CHECKSUM_MISMATCH');
  });
});
