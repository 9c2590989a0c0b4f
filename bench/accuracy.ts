/**
 * `npm run accuracy [-- --models lenet5-twn.twn,vgg7-twn-w05.twn --precisions float32,int16 --images 10000]`
 *
 * Top-1 of every shipped model (demo/models/models.json) on its full test split, through the public load API on the
 * CPU backend at precision 'float32' and 'int16', next to the figures the exporter stored in the file
 * (metadata.accuracy: the file in float64; metadata.int16.accuracy: its simulation of the int16 arithmetic,
 * tools/twn/calibrate.py). Prints a Markdown table (docs/MODELS.md quotes it). MNIST is read from ../shared/data;
 * CIFAR-10 from the binary batches tools/ converts into data-cache/ (made here the same way when missing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadModel, type TwnModel } from '../src/index.js';

const { values: flags } = parseArgs({
  options: {
    models: { type: 'string' },
    images: { type: 'string', default: '10000' },
    threads: { type: 'string', default: '1' },
    precisions: { type: 'string', default: 'float32,int16' },
  },
});

const DATA_ROOT = '../shared/data';
const CIFAR_DIR = 'data-cache/cifar10-bin';
const BATCH = 500;

interface TestSplit {
  readonly count: number;
  /** count images, NCHW bytes one after another. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

/** MNIST t10k from the IDX files: 16-byte image header, 8-byte label header. */
function mnistTest(): TestSplit {
  const read = (name: string) => gunzipSync(readFileSync(`${DATA_ROOT}/mnist/${name}`));
  return {
    count: 10_000,
    pixels: read('t10k-images-idx3-ubyte.gz').subarray(16),
    labels: read('t10k-labels-idx1-ubyte.gz').subarray(8),
  };
}

/** CIFAR-10 test_batch.bin: records of 1 label byte + 3072 pixel bytes (R, G, B planes), as tools/twn/data.py reads. */
function cifarTest(): TestSplit {
  if (!existsSync(`${CIFAR_DIR}/test_batch.bin`)) {
    const python = existsSync('.venv/bin/python') ? '.venv/bin/python' : 'python3';
    execFileSync(python, [`${DATA_ROOT}/cifar10/to-bin.py`, CIFAR_DIR], { stdio: 'inherit' });
  }
  const records = readFileSync(`${CIFAR_DIR}/test_batch.bin`);
  const count = records.length / 3073;
  const pixels = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = records[i * 3073]!;
    pixels.set(records.subarray(i * 3073 + 1, (i + 1) * 3073), i * 3072);
  }
  return { count, pixels, labels };
}

/** Images correctly classified among the first `images` (pixels byte/255, as the exporter feeds them). */
async function correctCount(model: TwnModel, split: TestSplit, images: number): Promise<number> {
  const size = split.pixels.length / split.count;
  let correct = 0;
  for (let first = 0; first < images; first += BATCH) {
    const count = Math.min(BATCH, images - first);
    const input = Float32Array.from(split.pixels.subarray(first * size, (first + count) * size), (b) => b / 255);
    const logits = await model.run(input, count);
    const classes = logits.length / count;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      if (row.indexOf(Math.max(...row)) === split.labels[first + i]) correct++;
    }
  }
  return correct;
}

interface CatalogEntry {
  readonly file: string;
  readonly dataset: string;
}

const percent = (fraction: number | undefined) => (fraction === undefined ? '–' : (100 * fraction).toFixed(2));

async function main(): Promise<void> {
  const catalog = JSON.parse(readFileSync('demo/models/models.json', 'utf8')).models as CatalogEntry[];
  const chosen = flags.models?.split(',') ?? catalog.map((entry) => entry.file);
  const splits = new Map<string, TestSplit>();
  const images = Number(flags.images);
  const rows: (string | number | undefined)[][] = [];
  for (const entry of catalog.filter((e) => chosen.includes(e.file))) {
    const key = entry.dataset.startsWith('MNIST') ? 'MNIST' : 'CIFAR-10';
    if (!splits.has(key)) splits.set(key, key === 'MNIST' ? mnistTest() : cifarTest());
    const split = splits.get(key)!;
    const bytes = new Uint8Array(readFileSync(`demo/models/${entry.file}`));
    const cells: string[] = [];
    let metadata: Record<string, unknown> = {};
    for (const precision of ['float32', 'int16'] as const) {
      if (!flags.precisions.split(',').includes(precision)) {
        cells.push('not run');
        continue;
      }
      const model = await loadModel(bytes, { backend: 'cpu', precision, threads: Number(flags.threads) });
      metadata = model.info.metadata;
      const { precision: ran, precisionReason } = model.info.backend;
      if (ran !== precision) {
        // The float32 run is the column before: not run twice.
        console.error(`${entry.file} ${precision}: ${ran} would run (${precisionReason})`);
        cells.push(`${ran} ran: ${precisionReason}`);
        model.dispose();
        continue;
      }
      const started = performance.now();
      const count = Math.min(images, split.count);
      const correct = await correctCount(model, split, count);
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      console.error(`${entry.file} ${precision}: ${correct} correct of ${count} (${seconds} s)`);
      cells.push(`${percent(correct / count)} (${correct})`);
      model.dispose();
    }
    const fileFloat = (metadata.accuracy as { top1?: number } | undefined)?.top1;
    const int16 = metadata.int16 as { bits: number; accuracy?: { top1: number } } | undefined;
    const fileInt16 = int16 === undefined ? '–' : `${percent(int16.accuracy?.top1)} (${int16.bits} bits)`;
    const count = Math.min(images, split.count);
    rows.push([entry.file, key, count, cells[0], percent(fileFloat), cells[1], fileInt16]);
  }
  const header = ['model', 'test split', 'images', 'float32 (ours)', 'file: float64', 'int16 (ours)', 'file: int16'];
  const rule = header.map((_, i) => (i < 2 ? '---' : '---:'));
  for (const row of [header, rule, ...rows]) console.log(`| ${row.join(' | ')} |`);
}

await main();
