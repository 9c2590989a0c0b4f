import { TwnDeviceError, TwnInputError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { softmax, topK, type Prediction } from './classify.js';
import type { Executor } from './executor.js';
import type { ModelInfo } from './info.js';
import { toInputTensor, type ClassifyInput } from './preprocess.js';

export interface ClassifyOptions {
  /** How many classes to return, most probable first (default 5, at most the number of classes). */
  topK?: number;
}

/** A loaded model bound to one backend. Get one from `loadModel`; call `dispose()` to free its GPU resources. */
export class TwnModel {
  readonly info: ModelInfo;
  readonly #graph: Graph;
  #executor: Executor | undefined;
  /** Runs are serialised (a backend reuses its buffers), and disposal waits for the ones already started. */
  #pending = 0;
  #releaseWhenIdle: (() => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** @internal Use `loadModel`. */
  constructor(graph: Graph, info: ModelInfo, executor: Executor) {
    this.#graph = graph;
    this.info = info;
    this.#executor = executor;
  }

  get disposed(): boolean {
    return this.#executor === undefined;
  }

  /**
   * Runs `batch` images given as one Float32Array, NCHW, pixel values in [0, 1] (the graph normalises them); a NaN
   * or ±∞ anywhere is TwnInputError INPUT_NOT_FINITE.
   * Returns the graph's output for all of them: `batch × classes` floats, usually logits.
   */
  async run(input: Float32Array, batch = 1): Promise<Float32Array> {
    const executor = this.#live();
    if (!(input instanceof Float32Array)) throw new TwnInputError('INPUT_TYPE', 'run() takes a Float32Array');
    if (!Number.isSafeInteger(batch) || batch < 1) throw new TwnInputError('INPUT_SHAPE', `batch must be a positive integer, got ${batch}`);
    const [channels, height, width] = this.info.inputShape;
    const expected = batch * channels * height * width;
    if (input.length !== expected) {
      throw new TwnInputError('INPUT_SHAPE', `a batch of ${batch} × ${channels}×${height}×${width} needs ${expected} floats, got ${input.length}`);
    }
    // A NaN or ∞ does not survive the graph faithfully: relu and maxpool may turn it into an ordinary number, and the
    // backends need not agree on which. One pass over the input costs little next to the network itself.
    const bad = input.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) {
      const perImage = channels * height * width;
      throw new TwnInputError('INPUT_NOT_FINITE', `input values must be finite, got ${input[bad]} in image ${Math.floor(bad / perImage)} at ${bad % perImage}`);
    }
    this.#pending++;
    const result = this.#queue.then(() => executor.run(input, batch));
    this.#queue = result.catch(() => undefined).finally(() => {
      this.#pending--;
      if (this.#pending === 0) this.#releaseWhenIdle?.();
    });
    return result;
  }

  /** Classifies one image (see `ClassifyInput`): resize, colour conversion, run, softmax, top-k. */
  async classify(input: ClassifyInput, options: ClassifyOptions = {}): Promise<Prediction[]> {
    this.#live();
    const k = options.topK ?? 5;
    if (!Number.isSafeInteger(k) || k < 1) throw new TwnInputError('BAD_TOP_K', `topK must be a positive integer, got ${k}`);
    const output = await this.run(toInputTensor(input, this.#graph.input), 1);
    return topK(this.#endsWithSoftmax() ? output : softmax(output), this.info.labels, Math.min(k, output.length));
  }

  /**
   * Releases every GPU buffer and pipeline, and the device when the model created it: at once, or as soon as the
   * runs already started have finished. Any later call throws TwnDeviceError DISPOSED. Idempotent.
   */
  dispose(): void {
    const executor = this.#executor;
    if (!executor) return;
    this.#executor = undefined;
    this.#releaseWhenIdle = () => executor.dispose();
    if (this.#pending === 0) this.#releaseWhenIdle();
  }

  #live(): Executor {
    if (!this.#executor) throw new TwnDeviceError('DISPOSED', 'the model has been disposed');
    return this.#executor;
  }

  #endsWithSoftmax(): boolean {
    const output = this.#graph.outputs[0];
    return output !== undefined && this.#graph.nodes.some((node) => node.op === 'softmax' && node.outputs.includes(output));
  }
}
