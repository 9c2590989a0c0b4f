/**
 * The models shipped in demo/models, as the catalog (models.json, written by tools/twn/catalog.py) lists them, with
 * their exporter-written reference files. Tests iterate over this list, so a newly shipped model is covered as soon
 * as the catalog names it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';
import type { Graph } from '../../src/graph/ir.js';

const MODELS_DIR = fileURLToPath(new URL('../../demo/models/', import.meta.url));

export interface ShippedModel {
  /** `.twn` file name inside demo/models. */
  readonly file: string;
  /** `<name>-reference.json` inside demo/models. */
  readonly reference: string;
  /** Display name, e.g. "MNIST" or "CIFAR-10 (JPEG q75 copy)". */
  readonly dataset: string;
}

/** What tools/twn/export.py `reference_json` writes: the first test images and the .twn graph's float64 logits. */
export interface ReferenceRun {
  readonly model: string;
  /** [N, C, H, W]. */
  readonly inputShape: readonly number[];
  /** N flat C·H·W lists of [0, 1] pixels, exactly the numbers the Python side computed its logits from. */
  readonly images: readonly (readonly number[])[];
  readonly labels: readonly number[];
  /** N rows of class logits, from the .twn graph in float64 (tools/twn/twn_reader.py). */
  readonly logits: readonly (readonly number[])[];
  readonly predictions: readonly number[];
}

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(MODELS_DIR + name, 'utf8')) as unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumberRows(value: unknown): value is number[][] {
  return Array.isArray(value) && value.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number'));
}

function isNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((x) => typeof x === 'number');
}

function loadCatalog(): readonly ShippedModel[] {
  const catalog = readJson('models.json');
  if (!isRecord(catalog) || !Array.isArray(catalog.models)) throw new Error('demo/models/models.json: no "models" list');
  return catalog.models.map((entry: unknown, index) => {
    if (!isRecord(entry) || typeof entry.file !== 'string' || typeof entry.reference !== 'string' || typeof entry.dataset !== 'string') {
      throw new Error(`demo/models/models.json: models[${index}] lacks file/reference/dataset strings`);
    }
    return { file: entry.file, reference: entry.reference, dataset: entry.dataset };
  });
}

export const SHIPPED_MODELS: readonly ShippedModel[] = loadCatalog();

export function loadShippedGraph(model: ShippedModel): Graph {
  return graphFromFile(readTwnFile(new Uint8Array(readFileSync(MODELS_DIR + model.file))));
}

export function loadReferenceRun(model: ShippedModel): ReferenceRun {
  const run = readJson(model.reference);
  const where = `demo/models/${model.reference}`;
  if (
    !isRecord(run) ||
    typeof run.model !== 'string' ||
    !isNumberList(run.inputShape) ||
    !isNumberRows(run.images) ||
    !isNumberList(run.labels) ||
    !isNumberRows(run.logits) ||
    !isNumberList(run.predictions)
  ) {
    throw new Error(`${where}: not the shape tools/twn/export.py writes (model, inputShape, images, labels, logits, predictions)`);
  }
  const [count = 0, ...imageShape] = run.inputShape;
  const imageSize = imageShape.reduce((a, b) => a * b, 1);
  if (run.model !== model.file) throw new Error(`${where}: written for ${run.model}, not ${model.file}`);
  if (count < 2) throw new Error(`${where}: ${count} images; a batched run needs at least 2`);
  if (run.images.length !== count || run.logits.length !== count || run.images.some((image) => image.length !== imageSize)) {
    throw new Error(`${where}: images/logits do not match inputShape [${run.inputShape.join(', ')}]`);
  }
  return {
    model: run.model,
    inputShape: run.inputShape,
    images: run.images,
    labels: run.labels,
    logits: run.logits,
    predictions: run.predictions,
  };
}

/** What the exporter measured and stored in the .twn metadata: the file itself run in float64 on the test split. */
export interface RecordedAccuracy {
  readonly top1: number;
  readonly images: number;
  /** PyTorch's own eval figure after the last epoch (recipe.lastEpochTestAccuracyPytorch), when recorded. */
  readonly pytorchTop1: number | undefined;
}

export function recordedAccuracy(graph: Graph): RecordedAccuracy {
  const { accuracy, recipe } = graph.metadata;
  if (!isRecord(accuracy) || typeof accuracy.top1 !== 'number' || typeof accuracy.images !== 'number') {
    throw new Error('metadata.accuracy {top1, images} missing');
  }
  const pytorchTop1 = isRecord(recipe) && typeof recipe.lastEpochTestAccuracyPytorch === 'number' ? recipe.lastEpochTestAccuracyPytorch : undefined;
  return { top1: accuracy.top1, images: accuracy.images, pytorchTop1 };
}
