/**
 * `npm run onnx-twin -- model.twn [out.onnx]`: writes the ONNX twin of a .twn file (BatchNorm folded as the runtime
 * runs it; default output: the input path with .onnx), so any ONNX tool can run the same weights.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import { optimize } from '../../src/graph/passes/optimize.js';
import { onnxTwin } from './twin.js';

const [source, target = `${source?.replace(/\.twn$/, '')}.onnx`] = process.argv.slice(2);
if (source === undefined) {
  console.error('usage: npm run onnx-twin -- model.twn [out.onnx]');
  process.exit(2);
}
const twin = onnxTwin(optimize(graphFromFile(readTwnFile(readFileSync(source)))));
writeFileSync(target, twin);
console.log(`wrote ${target} (${twin.length} bytes)`);
