import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { CpuExecutor } from '../../src/backends/cpu/executor.js';
import { readTwnFile } from '../../src/format/reader.js';
import { graphFromFile } from '../../src/graph/from-file.js';

/**
 * What the float64 reference predicts for each gallery image, computed here in Node from the same PNG files the page
 * shows. The gallery images already have the model's input size, so no resizing can make the two differ.
 */
export function referencePredictions(modelPath: string, imagePaths: readonly string[]): string[] {
  const graph = graphFromFile(readTwnFile(new Uint8Array(readFileSync(modelPath))));
  const [channels, height, width] = graph.input.shape;
  const plane = height * width;
  const input = new Float64Array(imagePaths.length * channels * plane);
  imagePaths.forEach((path, n) => {
    const png = PNG.sync.read(readFileSync(path));
    if (png.width !== width || png.height !== height)
      throw new Error(`${path}: ${png.width}×${png.height}, model takes ${width}×${height}`);
    // pngjs always yields RGBA; a grayscale PNG has R = G = B.
    for (let c = 0; c < channels; c++)
      for (let i = 0; i < plane; i++) input[(n * channels + c) * plane + i] = png.data[i * 4 + c]! / 255;
  });
  const logits = new CpuExecutor().run(graph, input, imagePaths.length).get(graph.outputs[0]!)!;
  const classes = logits.shape[1]!;
  return imagePaths.map((_, n) => {
    const row = logits.data.subarray(n * classes, (n + 1) * classes);
    return graph.input.labels[row.indexOf(Math.max(...row))] ?? '?';
  });
}
