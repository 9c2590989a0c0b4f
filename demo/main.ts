import type { BackendRequest, ModelInfo, TwnModel } from '../src/index.js';
import { catalog, type ManifestEntry, type SlotId } from './lib/catalog.js';
import { byId, h } from './lib/dom.js';
import { DrawPad } from './lib/draw-pad.js';
import { formatBytes, formatMs, formatPercent } from './lib/format.js';
import { fetchGallery, galleryStrip, type GalleryStrip } from './lib/gallery.js';
import { toMnistImage } from './lib/mnist-style.js';
import { compressionRatio, layerTable, provenance, sizeComparison } from './lib/model-facts.js';
import { drawCentredSquare, imageFromFile, releaseImage } from './lib/photo.js';
import { placeholderBars, renderBars } from './lib/predictions.js';
import { ModelHandle, probeWebGpu, type WebGpuSupport } from './lib/runtime.js';

const handles = new Map<SlotId, ModelHandle>(catalog().map((entry) => [entry.slot.id, new ModelHandle(entry)]));
const strips = new Map<SlotId, GalleryStrip>();
let backend: BackendRequest = 'auto';
let support: WebGpuSupport = { state: 'no-api' };

const pad = new DrawPad(byId<HTMLCanvasElement>('pad'), () => void predictDigit());
const digitView = byId<HTMLCanvasElement>('digit-view');
const photoView = byId<HTMLCanvasElement>('photo-view');

/** The model of a slot when it is loaded and really trained; untrained weights are never shown as predictions. */
function trainedModel(slot: SlotId): TwnModel | undefined {
  const model = handles.get(slot)?.model;
  return model && !model.disposed && model.info.metadata.trained ? model : undefined;
}

function showLatency(element: HTMLElement, milliseconds: number, model: TwnModel): void {
  const where = model.info.backend.kind === 'webgpu' ? 'WebGPU' : 'CPU';
  element.textContent = `${formatMs(milliseconds)} on ${where}`;
  byId('stat-latency').textContent = formatMs(milliseconds);
}

let digitBusy = false;
let digitDirty = false;
async function predictDigit(): Promise<void> {
  const model = trainedModel('digits');
  byId('pad-hint').hidden = !pad.isEmpty;
  if (!model) return;
  if (digitBusy) {
    digitDirty = true;
    return;
  }
  digitBusy = true;
  try {
    await classifyDigit(model);
    showCardError('draw', undefined);
  } catch (error) {
    showCardError('draw', error);
  } finally {
    digitBusy = false;
    if (digitDirty) {
      digitDirty = false;
      void predictDigit();
    }
  }
}

async function classifyDigit(model: TwnModel): Promise<void> {
  const image = toMnistImage(pad.canvas);
  digitView.getContext('2d')?.putImageData(image ?? new ImageData(28, 28), 0, 0);
  if (!image) {
    byId('digit-prediction').textContent = '?';
    byId('digit-confidence').textContent = '';
    placeholderBars(byId('digit-bars'), model.info.labels);
    return;
  }
  const started = performance.now();
  const predictions = await model.classify(image, { topK: model.info.labels.length || 10 });
  showLatency(byId('digit-latency'), performance.now() - started, model);
  const [best] = predictions;
  byId('digit-prediction').textContent = best?.label ?? '?';
  byId('digit-confidence').textContent = best ? `${formatPercent(best.probability)} sure` : '';
  renderBars(byId('digit-bars'), predictions, { byIndex: true });
}

/** Classifies the photo card's image; a failure shows in that card, and the next success clears it. */
async function predictPhoto(): Promise<void> {
  const model = trainedModel('objects');
  if (!model || byId<HTMLImageElement>('photo-preview').hidden) return;
  try {
    const started = performance.now();
    const predictions = await model.classify(photoView, { topK: 5 });
    showLatency(byId('photo-latency'), performance.now() - started, model);
    const [best] = predictions;
    byId('photo-prediction').textContent = best?.label ?? '—';
    byId('photo-confidence').textContent = best ? `${formatPercent(best.probability)} sure` : '';
    renderBars(byId('photo-bars'), predictions);
    showCardError('photo', undefined);
  } catch (error) {
    showCardError('photo', error);
  }
}

function drawPhoto(image: HTMLImageElement): void {
  const preview = byId<HTMLImageElement>('photo-preview');
  const previous = preview.src;
  preview.src = image.src;
  preview.hidden = false;
  if (previous !== image.src) releaseImage(previous);
  byId('drop').classList.add('has-image');
  drawCentredSquare(image, photoView);
}

function showPhoto(image: HTMLImageElement): void {
  drawPhoto(image);
  void predictPhoto();
}

function showPhotoFile(file: File): void {
  imageFromFile(file).then(showPhoto, (error: unknown) => showCardError('photo', error));
}

function showDigitOnPad(image: HTMLImageElement): void {
  const context = pad.canvas.getContext('2d');
  if (!context) return;
  pad.clear();
  context.drawImage(image, 0, 0, pad.canvas.width, pad.canvas.height);
  pad.markDrawn();
  void predictDigit();
}

/** The card whose action failed shows the error, right there; its next success clears it. */
type Card = 'runtime' | 'draw' | 'photo';

function showCardError(card: Card, error: unknown): void {
  const line = byId(`${card}-error`);
  if (error === undefined) {
    line.hidden = true;
    line.textContent = '';
    return;
  }
  console.error(error);
  line.textContent = `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  line.hidden = false;
}

function showNotice(text: string, tone: 'info' | 'warning'): void {
  const notice = byId('notice');
  notice.textContent = text;
  notice.className = `notice ${tone}`;
  notice.hidden = false;
}

/** What this browser's WebGPU means for the backend picked now (the notice follows the switch). */
function explainSupport(): void {
  const webgpuOption = document.querySelector<HTMLInputElement>('input[name="backend"][value="webgpu"]');
  if (support.state !== 'available' && webgpuOption) webgpuOption.disabled = true;
  document.body.dataset.webgpu =
    support.state === 'available' ? (support.software ? 'software' : 'hardware') : support.state;
  if (support.state === 'no-api') {
    showNotice(
      'WebGPU is not available in this browser, so the models run on your CPU instead — still in the page, just ' +
        'slower for large models. Chrome and Edge 113+ and Safari 26+ support WebGPU.',
      'warning',
    );
  } else if (support.state === 'no-adapter') {
    showNotice(
      'This browser supports WebGPU but found no usable GPU, so the models run on your CPU instead.',
      'warning',
    );
  } else if (support.software && backend === 'webgpu') {
    showNotice(
      `Running on WebGPU as chosen: the only adapter here is a software renderer (${support.name}), so expect it ` +
        'to be slower than the CPU path. Pick Auto to go back to the CPU.',
      'info',
    );
  } else if (support.software && backend === 'cpu') {
    showNotice(
      `Running on the CPU as chosen. The only WebGPU adapter here is a software renderer (${support.name}).`,
      'info',
    );
  } else if (support.software) {
    showNotice(
      `The only WebGPU adapter here is a software renderer (${support.name}), which is slower than the CPU path, ` +
        'so Auto runs on the CPU. Pick WebGPU above to try it anyway.',
      'info',
    );
  } else {
    byId('notice').hidden = true;
  }
}

function markUntrained(slot: SlotId, why: string): void {
  const card = byId(slot === 'digits' ? 'draw' : 'photo');
  card.classList.add('untrained');
  card.querySelector('.untrained-banner')?.remove();
  card.prepend(
    h(
      'div',
      { class: 'untrained-banner', 'data-testid': `${slot}-untrained` },
      h('strong', {}, 'Model not yet trained'),
      h('span', {}, why),
    ),
  );
}

function describeBackend(info: ModelInfo): string {
  const { kind, reason, adapter, thread, kernels } = info.backend;
  const code = kernels === 'wasm-simd' ? 'WebAssembly SIMD' : 'JavaScript';
  const name =
    kind === 'webgpu'
      ? `WebGPU${adapter ? ` · ${adapter.name}` : ''}`
      : `CPU (${code}, ${thread === 'worker' ? 'in a Web Worker' : "on the page's thread"})`;
  return `${name} — ${reason}`;
}

function updateSummary(): void {
  const infos = [...handles.values()].flatMap((handle) =>
    handle.model && !handle.model.disposed ? [handle.model.info] : [],
  );
  const first = infos[0];
  if (!first) return;
  byId('stat-size').textContent = formatBytes(infos.reduce((sum, info) => sum + info.fileBytes, 0));
  byId('stat-ratio').textContent = compressionRatio(infos);
  byId('lede-ratio').textContent = `about ${compressionRatio(infos)}`;
  byId('stat-backend').textContent = first.backend.kind === 'webgpu' ? 'WebGPU' : 'CPU';
  byId('backend-status').textContent = describeBackend(first);
  document.body.dataset.backend = first.backend.kind;
  document.body.dataset.thread = first.backend.thread;
  document.body.dataset.kernels = first.backend.kernels ?? '';
  renderInside();
}

function renderInside(): void {
  const slot = (document.querySelector<HTMLInputElement>('input[name="inside-model"]:checked')?.value ??
    'digits') as SlotId;
  const handle = handles.get(slot);
  const info = handle?.model?.info;
  const body = byId('inside-body');
  if (!handle || !info?.metadata.trained) {
    body.replaceChildren(
      h('p', { class: 'muted' }, `The ${handle?.entry.slot.title ?? ''} model has not been trained yet.`),
    );
    return;
  }
  const [channels, height, width] = info.inputShape;
  body.replaceChildren(
    h(
      'div',
      { class: 'inside-head' },
      h(
        'div',
        {},
        h('h3', {}, handle.entry.slot.title),
        h(
          'p',
          { class: 'muted' },
          `${provenance(info)}${paperNote(handle.entry.manifest)} · input ${channels}×${height}×${width} · ` +
            `${info.parameters.toLocaleString('en-US')} parameters`,
        ),
      ),
      sizeComparison(info),
    ),
    baselineNote(info, handle.entry.fullPrecision) ?? '',
    layerTable(info),
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'swatch minus' }),
      '−1',
      h('span', { class: 'swatch zero' }),
      '0 (pruned by the threshold Δ)',
      h('span', { class: 'swatch plus' }),
      '+1',
    ),
  );
}

/** The paper's number for the same network (Li et al. 2016, Table 2), from the trainer's manifest. */
function paperNote(manifest: ManifestEntry | undefined): string {
  return typeof manifest?.paperTop1 === 'number' ? ` (paper: ${formatPercent(manifest.paperTop1, 2)})` : '';
}

/** The ternary model beside its full-precision twin: what the 2-bit weights cost in accuracy, and save in bytes. */
function baselineNote(info: ModelInfo, baseline: ManifestEntry | undefined): HTMLElement | null {
  const top1 = info.metadata.accuracy?.top1;
  if (baseline?.top1 === undefined || baseline.twnBytes === undefined || top1 === undefined) return null;
  const points = (top1 - baseline.top1) * 100;
  return h(
    'p',
    { class: 'baseline' },
    h('strong', {}, 'Against full precision: '),
    `the same network trained with 32-bit weights scores ${formatPercent(baseline.top1, 2)} ` +
      `(${points >= 0 ? '+' : '−'}${Math.abs(points).toFixed(2)} points for ternary) ` +
      `and takes ${formatBytes(baseline.twnBytes)}.`,
  );
}

async function loadAll(): Promise<void> {
  byId('backend-status').textContent = 'Loading models…';
  for (const [slot, handle] of handles) {
    const strip = strips.get(slot);
    if (!handle.entry.url) {
      markUntrained(
        slot,
        `The ${handle.entry.slot.title} network has not been shipped yet` +
          `${handle.entry.manifest?.status ? ` (${handle.entry.manifest.status})` : ''}; ` +
          'this section comes alive once it is trained.',
      );
      await strip?.classifyAll(undefined);
      continue;
    }
    const model = await handle.load(backend, (loaded, total) => {
      byId('backend-status').textContent =
        `Downloading ${handle.entry.slot.title}: ${formatBytes(loaded)}${total ? ` of ${formatBytes(total)}` : ''}`;
    });
    if (!model.info.metadata.trained) {
      markUntrained(slot, `${handle.entry.file} holds random weights, not a trained network, so it is not shown here.`);
      model.dispose();
      await strip?.classifyAll(undefined);
      continue;
    }
    const modelLine = byId(slot === 'digits' ? 'digits-model' : 'objects-model');
    modelLine.textContent = `${handle.entry.slot.title} · ${provenance(model.info)}`;
    modelLine.dataset.file = handle.entry.file;
    updateSummary();
    if (slot === 'digits') placeholderBars(byId('digit-bars'), model.info.labels);
    else placeholderBars(byId('photo-bars'), model.info.labels.slice(0, 5));
    await strip?.classifyAll(model);
  }
  if (![...handles.values()].some((handle) => handle.model && !handle.model.disposed)) {
    byId('backend-status').textContent = 'No trained model has been shipped with this build yet.';
  }
  renderInside();
  // Arriving visitors see each model at work on a real test image before they try their own.
  const digitSample = strips.get('digits')?.sample;
  if (trainedModel('digits') && digitSample && pad.isEmpty) {
    await digitSample.decode();
    showDigitOnPad(digitSample);
  }
  const photoSample = strips.get('objects')?.sample;
  if (trainedModel('objects') && photoSample && byId<HTMLImageElement>('photo-preview').hidden) {
    await photoSample.decode();
    drawPhoto(photoSample);
  }
  await predictDigit();
  await predictPhoto();
  document.body.dataset.ready = 'true';
}

async function start(): Promise<void> {
  support = await probeWebGpu();
  explainSupport();
  const gallery = await fetchGallery();
  const digitStrip = galleryStrip('gallery-mnist-set', gallery.mnist, (image) => showDigitOnPad(image));
  const photoStrip = galleryStrip('gallery-cifar10-set', gallery.cifar10, (image) => showPhoto(image));
  strips.set('digits', digitStrip);
  strips.set('objects', photoStrip);
  byId('gallery-mnist').replaceChildren(digitStrip.element);
  byId('gallery-cifar10').replaceChildren(photoStrip.element);

  byId('clear').addEventListener('click', () => {
    pad.clear();
    void predictDigit();
  });
  byId<HTMLInputElement>('upload').addEventListener('change', (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) showPhotoFile(file);
  });
  const drop = byId('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    const file = event.dataTransfer?.files[0];
    if (file) showPhotoFile(file);
  });
  document.querySelectorAll<HTMLInputElement>('input[name="backend"]').forEach((radio) =>
    radio.addEventListener('change', () => {
      backend = radio.value as BackendRequest;
      document.body.dataset.ready = 'false';
      explainSupport();
      void loadAllReportingErrors();
    }),
  );
  document
    .querySelectorAll<HTMLInputElement>('input[name="inside-model"]')
    .forEach((radio) => radio.addEventListener('change', renderInside));
  await loadAllReportingErrors();
}

/** Loading failures belong to the backend card (they follow a backend choice); a later successful load clears them. */
async function loadAllReportingErrors(): Promise<void> {
  try {
    await loadAll();
    showCardError('runtime', undefined);
  } catch (error) {
    showCardError('runtime', error);
  }
}

start().catch((error: unknown) => showCardError('runtime', error));
