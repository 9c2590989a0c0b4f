/**
 * twn-webgpu for Node: everything the main entry has, and a `loadModel` whose models classify PNG/JPEG bytes
 * (a Buffer from `readFile`) with the bundled decoders. Kept apart so browser bundles never carry the decoders.
 *
 *   import { loadModel } from 'twn-webgpu/node';
 *   const model = await loadModel('./lenet5-twn.twn');
 *   const [best] = await model.classify(await readFile('digit.png'));
 */
import { loadModel as loadModelAnywhere, type LoadOptions } from '../api/load.js';
import type { TwnModel } from '../api/model.js';
import type { ModelSource } from '../api/source.js';
import { decodeImage } from './decode-image.js';

export * from '../index.js';
export { decodeImage };

/** `loadModel` with `imageDecoder` set to the bundled PNG/JPEG decoder unless the options name another. */
export function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<TwnModel> {
  return loadModelAnywhere(source, { imageDecoder: decodeImage, ...options });
}
