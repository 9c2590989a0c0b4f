/**
 * Which trained models the demo can show. The trainer ships `.twn` files and `models.json` into demo/models/;
 * both are picked up at build time through `import.meta.glob`, so the demo builds (and says "not yet trained")
 * before they exist. The file's own `metadata.trained` flag is checked again after loading: a model is never
 * presented as trained on the manifest's word alone.
 */

export type SlotId = 'digits' | 'objects';

export interface Slot {
  readonly id: SlotId;
  readonly architecture: string;
  readonly dataset: string;
  readonly title: string;
}

export interface CatalogEntry {
  readonly slot: Slot;
  /** URL of the `.twn` file; undefined while no trained model has been shipped. */
  readonly url?: string;
  readonly file?: string;
  /** What the manifest says about this model (status notes, accuracy), shown next to it. */
  readonly manifest?: ManifestEntry;
  /** The same architecture trained in full precision, when shipped: the baseline the ternary model is judged by. */
  readonly fullPrecision?: ManifestEntry;
}

export interface ManifestEntry {
  readonly file?: string;
  readonly architecture?: string;
  readonly dataset?: string;
  readonly trained?: boolean;
  readonly weightMode?: string;
  readonly top1?: number;
  readonly twnBytes?: number;
  readonly status?: string;
  readonly note?: string;
  readonly [key: string]: unknown;
}

export const SLOTS: readonly Slot[] = [
  { id: 'digits', architecture: 'lenet5', dataset: 'MNIST', title: 'LeNet-5 · MNIST' },
  { id: 'objects', architecture: 'vgg7', dataset: 'CIFAR-10', title: 'VGG-7 · CIFAR-10' },
];

// Only the ternary files go into the site; the full-precision baselines beside them are known from the manifest.
const modelUrls = import.meta.glob<string>('../models/*-twn*.twn', { query: '?url', import: 'default', eager: true });
const manifests = import.meta.glob<unknown>('../models/models.json', { import: 'default', eager: true });

export function catalog(): CatalogEntry[] {
  const entries = manifestEntries(Object.values(manifests)[0]);
  return SLOTS.map((slot) => {
    // The manifest lists each architecture's ternary model first.
    const manifest = entries.find((entry) => matches(entry, slot));
    const fullPrecision = entries.find(
      (entry) => matches(entry, slot) && entry.weightMode === 'float' && entry.trained === true,
    );
    const file =
      manifest?.file ??
      Object.keys(modelUrls)
        .map(baseName)
        .find((name) => name.startsWith(slot.architecture));
    const url = file === undefined ? undefined : modelUrls[`../models/${baseName(file)}`];
    return {
      slot,
      manifest,
      fullPrecision,
      ...(url !== undefined && manifest?.trained !== false ? { url, file: baseName(file!) } : {}),
    };
  });
}

function manifestEntries(manifest: unknown): ManifestEntry[] {
  const list = Array.isArray(manifest) ? manifest : (manifest as { models?: unknown } | undefined)?.models;
  return Array.isArray(list)
    ? list.filter((entry): entry is ManifestEntry => typeof entry === 'object' && entry !== null)
    : [];
}

function matches(entry: ManifestEntry, slot: Slot): boolean {
  const architecture = entry.architecture?.toLowerCase();
  if (architecture !== undefined) return architecture === slot.architecture;
  return entry.file !== undefined && baseName(entry.file).startsWith(slot.architecture);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
