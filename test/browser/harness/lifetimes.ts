/**
 * Lifetime checks in Chromium, driven step by step from test/browser/lifetimes.spec.ts: device loss on WebGPU, a CPU
 * worker that stops without an error event, downloads from a server that stalls.
 */
import { acquireDevice } from '../../../src/backends/webgpu/device.js';
import { readModelSource } from '../../../src/api/source.js';
import { loadModel, type TwnModel } from '../../../src/index.js';
import { writeTwnFile } from '../../../src/format/writer.js';
import { buildLeNet5, MNIST } from '../../../src/models/index.js';
import { NetworkBuilder } from '../../../src/models/network-builder.js';

/** What a call ended with: 'ok', or the error's name and code. */
export type Outcome = string;

const lenet = buildLeNet5({ seed: 5 });
const image = new Float32Array(28 * 28).fill(0.5);
let workerModel: TwnModel | undefined;
let soakModel: TwnModel | undefined;

/** One strided conv and a dense layer on MNIST's input: thousands of runs fit in a test. */
function tinyNet(): Uint8Array {
  const net = new NetworkBuilder({ seed: 9 });
  const conv = net.conv('conv', 'image', { inChannels: 1, outChannels: 2, kernel: 3, stride: 2 });
  const features = net.flatten('flatten', conv);
  const logits = net.dense('fc', features, { inFeatures: 338, outFeatures: 10, batchNorm: false, output: 'logits' });
  return writeTwnFile(net.finish(MNIST, 10, logits, 'tiny'));
}

function outcome(error: unknown): Outcome {
  const { name, code } = error as { name?: string; code?: string };
  return `${name ?? 'unknown'}${code ? ` ${code}` : ''}`;
}

async function settle(promise: Promise<unknown>): Promise<Outcome> {
  return promise.then(() => 'ok', outcome);
}

export const lifetimes = {
  /** Three runs queued, the device destroyed after `ticks` tasks, then one more run: what each call ended with. */
  async deviceLoss(ticks: number): Promise<Outcome[]> {
    const { device } = await acquireDevice();
    const model = await loadModel(lenet, { device, backend: 'webgpu' });
    await model.run(image);
    const pending = [model.run(image), model.run(image), model.run(image)];
    for (let i = 0; i < ticks; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    device.destroy();
    const outcomes = await Promise.all([...pending.map(settle), settle(model.run(image))]);
    outcomes.push(await settle(model.run(image)));
    model.dispose();
    return outcomes;
  },

  /** loadModel onto a device destroyed just before. */
  async loadOnDestroyedDevice(): Promise<Outcome> {
    const { device } = await acquireDevice();
    device.destroy();
    return settle(loadModel(lenet, { device, backend: 'webgpu' }));
  },

  async loadInWorker(): Promise<string> {
    workerModel = await loadModel(lenet, { backend: 'cpu', cpuWorker: true });
    await workerModel.run(image);
    return workerModel.info.backend.thread;
  },

  /** Disposes the worker model: its worker stays, idle, for the next load. */
  disposeWorkerModel(): void {
    workerModel!.dispose();
  },

  /** A run on the worker model, bounded: a call that never settles reports 'pending'. */
  async runInWorker(waitMs: number): Promise<Outcome> {
    const timeout = new Promise<Outcome>((resolve) => setTimeout(() => resolve('pending'), waitMs));
    return Promise.race([settle(workerModel!.run(image)), timeout]);
  },

  /** Loads the tiny net on `backend` (a fresh WebGPU device, or the CPU in a worker) for `soak`. */
  async loadForSoak(backend: 'webgpu' | 'cpu'): Promise<void> {
    const options = backend === 'webgpu' ? { device: (await acquireDevice()).device } : { backend, cpuWorker: true };
    soakModel = await loadModel(tinyNet(), options);
  },

  async soak(runs: number): Promise<void> {
    for (let i = 0; i < runs; i++) await soakModel!.run(image);
  },

  /**
   * loadModel(url) into the CPU worker: milliseconds from the call to the first Worker the page started, and to the
   * download's last byte, and where the model runs.
   */
  async loadFromUrl(url: string): Promise<{ workerMs?: number; downloadMs?: number; thread: string }> {
    const started = performance.now();
    let workerMs: number | undefined;
    let downloadMs: number | undefined;
    const PageWorker = globalThis.Worker;
    globalThis.Worker = class extends PageWorker {
      constructor(...args: ConstructorParameters<typeof Worker>) {
        super(...args);
        workerMs ??= performance.now() - started;
      }
    };
    try {
      const model = await loadModel(url, {
        backend: 'cpu',
        cpuWorker: true,
        onProgress: (loaded, total) => {
          if (loaded === total) downloadMs = performance.now() - started;
        },
      });
      const { thread } = model.info.backend;
      model.dispose();
      return { workerMs, downloadMs, thread };
    } finally {
      globalThis.Worker = PageWorker;
    }
  },

  async download(url: string, idleTimeoutMs?: number): Promise<Outcome> {
    return settle(readModelSource(url, { idleTimeoutMs }));
  },
};

(window as unknown as { twnLifetimes: typeof lifetimes }).twnLifetimes = lifetimes;
