import type { TwnModel } from '../../src/index.js';
import { h } from './dom.js';
import { formatMs } from './format.js';

export interface GalleryImage {
  readonly file: string;
  readonly label: number;
  readonly labelName: string;
  readonly testIndex: number;
}

export interface GallerySet {
  readonly source: string;
  readonly images: readonly GalleryImage[];
}

export type Gallery = Readonly<Record<'mnist' | 'cifar10', GallerySet>>;

export async function fetchGallery(): Promise<Gallery> {
  const response = await fetch(`${import.meta.env.BASE_URL}gallery/gallery.json`);
  if (!response.ok) throw new Error(`gallery.json: HTTP ${response.status}`);
  return (await response.json()) as Gallery;
}

export interface GalleryStrip {
  readonly element: HTMLElement;
  /** The first image, to show before the visitor picks one. */
  readonly sample: HTMLImageElement | undefined;
  /** Classifies every image and marks each tile right or wrong against its true label. */
  classifyAll(model: TwnModel | undefined): Promise<void>;
}

/** A row of real test images with their true labels; `onPick` receives a clicked image. */
export function galleryStrip(
  id: string,
  set: GallerySet,
  onPick: (image: HTMLImageElement, entry: GalleryImage) => void,
): GalleryStrip {
  const summary = h('p', { class: 'gallery-summary', 'data-testid': `${id}-summary` }, 'Waiting for the model…');
  const tiles = set.images.map((entry) => {
    const image = h('img', {
      src: `${import.meta.env.BASE_URL}gallery/${entry.file}`,
      alt: `test image ${entry.testIndex}, a ${entry.labelName}`,
      width: '64',
      height: '64',
    });
    const verdict = h('span', { class: 'tile-prediction' }, '…');
    const tile = h(
      'button',
      {
        class: 'tile',
        type: 'button',
        'data-truth': entry.labelName,
        title: `Test image #${entry.testIndex}: ${entry.labelName}`,
      },
      image,
      h('span', { class: 'tile-truth' }, entry.labelName),
      verdict,
    );
    tile.addEventListener('click', () => onPick(image, entry));
    return { entry, image, tile, verdict };
  });
  const element = h(
    'div',
    { class: 'gallery-set', id },
    h('div', { class: 'tiles' }, ...tiles.map(({ tile }) => tile)),
    summary,
    h('p', { class: 'source' }, set.source),
  );

  async function classifyAll(model: TwnModel | undefined): Promise<void> {
    if (!model) {
      summary.textContent = 'No trained model for these images yet.';
      tiles.forEach(({ tile, verdict }) => {
        verdict.textContent = '';
        tile.removeAttribute('data-predicted');
        tile.classList.remove('right', 'wrong');
      });
      return;
    }
    let correct = 0;
    let totalMs = 0;
    for (const { entry, image, tile, verdict } of tiles) {
      // The CPU backend runs on this thread: let the page paint and take input between images.
      await new Promise((resolve) => setTimeout(resolve));
      await image.decode();
      const started = performance.now();
      const [best] = await model.classify(image, { topK: 1 });
      totalMs += performance.now() - started;
      const right = best?.index === entry.label;
      if (right) correct++;
      tile.dataset.predicted = best?.label ?? '';
      tile.classList.toggle('right', right);
      tile.classList.toggle('wrong', !right);
      verdict.textContent = `${right ? '✓' : '✗'} ${best?.label ?? '?'}`;
    }
    summary.dataset.correct = String(correct);
    const where = model.info.backend.kind === 'webgpu' ? 'WebGPU' : 'the CPU';
    const perImage = formatMs(totalMs / tiles.length);
    summary.textContent = `${correct} of ${tiles.length} right · ${perImage} per image on ${where}`;
  }

  return { element, sample: tiles[0]?.image, classifyAll };
}
