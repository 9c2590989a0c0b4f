import { loadModel, type BackendRequest, type TwnModel } from '../../src/index.js';
import type { CatalogEntry } from './catalog.js';

export type WebGpuSupport =
  | { readonly state: 'no-api' }
  | { readonly state: 'no-adapter' }
  | { readonly state: 'available'; readonly software: boolean; readonly name: string };

/** What this browser offers, for the backend switch and the notice; the library makes the actual choice. */
export async function probeWebGpu(): Promise<WebGpuSupport> {
  if (!('gpu' in navigator) || !navigator.gpu) return { state: 'no-api' };
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return { state: 'no-adapter' };
  const info = adapter.info;
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ') || 'unnamed adapter';
  return { state: 'available', software: fallback || /swiftshader/i.test(name), name };
}

/** One catalog model, (re)prepared on whichever backend the page asks for; the HTTP cache serves repeat loads. */
export class ModelHandle {
  readonly entry: CatalogEntry;
  #model: TwnModel | undefined;

  constructor(entry: CatalogEntry) {
    this.entry = entry;
  }

  get model(): TwnModel | undefined {
    return this.#model;
  }

  async load(
    backend: BackendRequest,
    onProgress: (loaded: number, total: number | undefined) => void,
  ): Promise<TwnModel> {
    const url = this.entry.url;
    if (url === undefined) throw new Error(`no trained ${this.entry.slot.title} model has been shipped`);
    this.#model?.dispose();
    this.#model = undefined;
    this.#model = await loadModel(url, { backend, onProgress });
    return this.#model;
  }
}
