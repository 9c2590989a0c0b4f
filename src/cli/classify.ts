import type { Prediction } from '../api/classify.js';
import type { TwnModel } from '../index.js';
import { decodeImage } from './image.js';
import { IMAGE_LIMIT, readBytes } from './files.js';
import { formatPercent } from './format.js';

export interface ImageResult {
  image: string;
  predictions: Prediction[];
  milliseconds: number;
}

export async function classifyImages(model: TwnModel, images: readonly string[], top: number): Promise<ImageResult[]> {
  const results: ImageResult[] = [];
  for (const image of images) {
    const pixels = decodeImage(await readBytes(image, IMAGE_LIMIT), image);
    const started = performance.now();
    const predictions = await model.classify(pixels, { topK: top });
    results.push({ image, predictions, milliseconds: performance.now() - started });
  }
  return results;
}

export function formatResults(results: readonly ImageResult[]): string {
  return results
    .map(({ image, predictions, milliseconds }) => {
      const width = Math.max(...predictions.map((p) => p.label.length));
      const lines = predictions.map((p, rank) => `  ${rank + 1}. ${p.label.padEnd(width)}  ${formatPercent(p.probability, 2).padStart(7)}`);
      return [`${image}  (${milliseconds.toFixed(1)} ms)`, ...lines].join('\n');
    })
    .join('\n\n');
}
