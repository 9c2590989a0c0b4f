export { crc32 } from './crc32.js';
export { readTwnFile } from './reader.js';
export { writeTwnFile } from './writer.js';
export { packTernary, unpackTernary, ternaryRowWords, ternaryRows, findInvalidTernaryWord } from './ternary-pack.js';
export type { TwnFile, StoredNode } from './types.js';
