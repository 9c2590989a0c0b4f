// Symbol.dispose: the published declarations carry this reference, so a consumer's TypeScript knows it too.
/// <reference lib="esnext.disposable" preserve="true" />
import { TwnDeviceError, TwnInputError } from '../errors.js';
import { firstNonFinite } from '../format/finite.js';
import type { Graph } from '../graph/ir.js';
import { inferShapes } from '../graph/shapes.js';
import { softmax, topK, type Prediction } from './classify.js';
import { decodeEncoded, snapshotEncoded, type ImageDecoder } from './decode.js';
import type { Executor } from './executor.js';
import type { ModelInfo } from './info.js';
import { checkImageInput, isEncodedImage, preprocess, type ClassifyInput } from './preprocess.js';

export interface ClassifyOptions {
  /** How many classes to return, most probable first (default 5, at most the number of classes). */
  topK?: number;
}

/** One named output of `runNamed`, as ONNX Runtime Web hands them out: flat data and its dimensions. */
export interface OutputTensor {
  readonly data: Float32Array;
  /** [batch, ...the output's shape per image], e.g. [8, 10] for eight images and ten classes. */
  readonly dims: readonly number[];
}

/** A loaded model bound to one backend. Get one from `loadModel`; call `dispose()` to free its GPU resources. */
export class TwnModel {
  readonly info: ModelInfo;
  readonly #graph: Graph;
  readonly #imageDecoder: ImageDecoder | undefined;
  #executor: Executor | undefined;
  /** Runs are serialised (a backend reuses its buffers), and disposal waits for the ones already started. */
  #pending = 0;
  #releaseWhenIdle: (() => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #perImageOutputShape: readonly number[] | undefined;
  /**
   * The last finished run's input snapshot, which the next run copies its input into if it fits: a fresh array is fresh
   * pages (ResNet-18 224's 600 KB input took 3.5 ms to copy into one in headless Chromium on the 2-core machine, a
   * reused one ~0.2 ms). Every backend has read its input by the time its run settles.
   */
  #spareSnapshot: Float32Array | undefined;

  /** @internal Use `loadModel`. */
  constructor(graph: Graph, info: ModelInfo, executor: Executor, imageDecoder?: ImageDecoder) {
    this.#graph = graph;
    this.info = info;
    this.#executor = executor;
    this.#imageDecoder = imageDecoder;
  }

  get disposed(): boolean {
    return this.#executor === undefined;
  }

  /**
   * Runs `batch` images given as one Float32Array, NCHW, pixel values in [0, 1] (the graph normalises them); a NaN
   * or ±∞ anywhere is TwnInputError INPUT_NOT_FINITE. The input is copied when called: writing into it afterwards
   * does not change this run.
   * Returns the graph's output for all of them: `batch × classes` floats, usually logits.
   */
  async run(input: Float32Array, batch = 1): Promise<Float32Array> {
    const executor = this.#live();
    const snapshot = this.#checkInput(input, batch);
    this.#pending++;
    const result = this.#queue.then(() => executor.run(snapshot, batch));
    this.#queue = result
      .catch(() => undefined)
      .finally(() => {
        this.#pending--;
        if (this.#pending === 0) this.#releaseWhenIdle?.();
        if (this.#executor !== undefined) this.#spareSnapshot = new Float32Array(snapshot.buffer as ArrayBuffer);
      });
    return result;
  }

  /** `run`, with the output named and shaped: `{ [output name]: { data, dims: [batch, ...] } }`. */
  async runNamed(input: Float32Array, batch = 1): Promise<Record<string, OutputTensor>> {
    const data = await this.run(input, batch);
    const name = this.#graph.outputs[0] ?? '';
    return { [name]: { data, dims: [batch, ...this.#outputShape(name)] } };
  }

  /**
   * Classifies one image (see `ClassifyInput`), or an array of them as one batch (one run): resize, colour
   * conversion, run, softmax, top-k. Images are read when called: changing them afterwards does not change this call.
   */
  classify(input: ClassifyInput, options?: ClassifyOptions): Promise<Prediction[]>;
  classify(inputs: readonly ClassifyInput[], options?: ClassifyOptions): Promise<Prediction[][]>;
  async classify(
    input: ClassifyInput | readonly ClassifyInput[],
    options: ClassifyOptions = {},
  ): Promise<Prediction[] | Prediction[][]> {
    this.#live();
    const k = topKOption(options);
    const images = Array.isArray(input) ? (input as readonly ClassifyInput[]) : [input as ClassifyInput];
    if (images.length === 0) throw new TwnInputError('INPUT_SHAPE', 'classify() got an empty array of images');
    // Everything the caller could change later is read or copied before the first await.
    const pending = images.map((image) => this.#startPreprocess(image));
    const tensors = await Promise.all(pending);
    const output = await this.run(concatenate(tensors), tensors.length);
    const classes = output.length / tensors.length;
    const predictions = tensors.map((_, i) => {
      const logits = output.subarray(i * classes, (i + 1) * classes);
      return topK(this.#endsWithSoftmax() ? logits : softmax(logits), this.info.labels, Math.min(k, classes));
    });
    return Array.isArray(input) ? predictions : predictions[0]!;
  }

  /**
   * Releases every GPU buffer and pipeline, and the device when the model created it, or the CPU backend's memory
   * (its worker drops the model and stays idle for the next load for 30 s): at once, or as soon as the runs already
   * started have finished. Any later call throws TwnDeviceError DISPOSED. Idempotent.
   */
  dispose(): void {
    const executor = this.#executor;
    if (!executor) return;
    this.#executor = undefined;
    this.#spareSnapshot = undefined;
    this.#releaseWhenIdle = () => executor.dispose();
    if (this.#pending === 0) this.#releaseWhenIdle();
  }

  /** `using model = await loadModel(...)` disposes it at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #live(): Executor {
    if (!this.#executor) throw new TwnDeviceError('DISPOSED', 'the model has been disposed');
    return this.#executor;
  }

  /** Validates shape and values, and returns the copy the run will read (in the spare snapshot if it is large enough). */
  #checkInput(input: Float32Array, batch: number): Float32Array {
    if (!(input instanceof Float32Array)) throw new TwnInputError('INPUT_TYPE', 'run() takes a Float32Array');
    if (!Number.isSafeInteger(batch) || batch < 1) {
      throw new TwnInputError('INPUT_SHAPE', `batch must be a positive integer, got ${batch}`);
    }
    const [channels, height, width] = this.info.inputShape;
    const expected = batch * channels * height * width;
    if (input.length !== expected) {
      throw new TwnInputError(
        'INPUT_SHAPE',
        `a batch of ${batch} × ${channels}×${height}×${width} needs ${expected} floats, got ${input.length}`,
      );
    }
    // A NaN or ∞ does not survive the graph faithfully: relu and maxpool may turn it into an ordinary number, and the
    // backends need not agree on which. One pass over the input costs little next to the network itself.
    const bad = firstNonFinite(input);
    if (bad >= 0) {
      const perImage = channels * height * width;
      const where = `image ${Math.floor(bad / perImage)} at ${bad % perImage}`;
      throw new TwnInputError('INPUT_NOT_FINITE', `input values must be finite, got ${input[bad]} in ${where}`);
    }
    const spare = this.#spareSnapshot;
    if (spare === undefined || spare.length < input.length) return input.slice();
    this.#spareSnapshot = undefined; // until this run has settled
    const snapshot = spare.subarray(0, input.length);
    snapshot.set(input);
    return snapshot;
  }

  /** Synchronous up to the decode of encoded bytes, which are copied first. */
  #startPreprocess(image: ClassifyInput): Promise<Float32Array> {
    checkImageInput(image);
    if (!isEncodedImage(image)) return Promise.resolve(preprocess(image, this.info).slice());
    const bytes = snapshotEncoded(image);
    return decodeEncoded(bytes, this.#imageDecoder).then((decoded) => {
      try {
        return preprocess(decoded, this.info);
      } finally {
        if (!('data' in decoded)) decoded.close();
      }
    });
  }

  /** The output's shape for one image, from the ops' shape rules (computed once). */
  #outputShape(name: string): readonly number[] {
    this.#perImageOutputShape ??= inferShapes(this.#graph, 1).get(name)?.slice(1) ?? [];
    return this.#perImageOutputShape;
  }

  #endsWithSoftmax(): boolean {
    const output = this.#graph.outputs[0];
    const producesOutput = (node: Graph['nodes'][number]) => node.op === 'softmax' && node.outputs.includes(output!);
    return output !== undefined && this.#graph.nodes.some(producesOutput);
  }
}

function topKOption(options: ClassifyOptions | null | undefined): number {
  if (options === null || typeof options !== 'object') {
    throw new TwnInputError('BAD_OPTIONS', `classify() options must be an object like { topK: 3 }, got ${options}`);
  }
  const k = options.topK ?? 5;
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new TwnInputError('BAD_TOP_K', `topK must be a positive integer, got ${k}`);
  }
  return k;
}

function concatenate(tensors: readonly Float32Array[]): Float32Array {
  if (tensors.length === 1) return tensors[0]!;
  const size = tensors[0]?.length ?? 0;
  const batch = new Float32Array(size * tensors.length);
  tensors.forEach((tensor, i) => batch.set(tensor, i * size));
  return batch;
}
