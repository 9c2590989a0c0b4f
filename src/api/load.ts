import { readTwnFile } from '../format/reader.js';
import { graphFromFile } from '../graph/from-file.js';
import { optimize } from '../graph/passes/optimize.js';
import { chooseBackend, type BackendOptions } from './backend.js';
import { throwIfAborted } from './errors.js';
import { createExecutor } from './executor.js';
import { describeModel } from './info.js';
import { TwnModel } from './model.js';
import { readModelSource, type ModelSource, type ReadSourceOptions } from './source.js';

export interface LoadOptions extends BackendOptions, ReadSourceOptions {}

/**
 * Loads a `.twn` model and prepares it on a backend. The file is validated in full (docs/FORMAT.md §8) before any
 * GPU work starts, so a bad file fails fast with a TwnFormatError.
 */
export async function loadModel(source: ModelSource, options: LoadOptions = {}): Promise<TwnModel> {
  const bytes = await readModelSource(source, options);
  const graph = graphFromFile(readTwnFile(bytes));
  throwIfAborted(options.signal);
  const choice = await chooseBackend(options);
  const executor = await createExecutor(optimize(graph), choice);
  if (options.signal?.aborted) {
    executor.dispose();
    throwIfAborted(options.signal);
  }
  return new TwnModel(graph, describeModel(graph, bytes.byteLength, choice), executor);
}
