import type { LayerInfo, ModelInfo } from '../../src/index.js';
import { h } from './dom.js';
import { formatBytes, formatPercent } from './format.js';

/**
 * The page's one compression figure: fp32 bytes over `.twn` bytes of every model shown, from the files themselves
 * (a model's own share shows as the bars of `sizeComparison`).
 */
export function compressionRatio(infos: readonly ModelInfo[]): string {
  const fileBytes = infos.reduce((sum, info) => sum + info.fileBytes, 0);
  const fp32Bytes = infos.reduce((sum, info) => sum + info.fp32Bytes, 0);
  return `${(fp32Bytes / fileBytes).toFixed(1)}×`;
}

/** Download size against the fp32 equivalent, as two bars to scale. */
export function sizeComparison(info: ModelInfo): HTMLElement {
  const bar = (label: string, bytes: number, className: string) => {
    const fill = h('span', { class: `size-fill ${className}` });
    fill.style.width = `${Math.max((bytes / info.fp32Bytes) * 100, 0.8)}%`;
    return h(
      'div',
      { class: 'size-row' },
      h('span', { class: 'size-label' }, label),
      h('span', { class: 'size-track' }, fill),
      h('span', { class: 'size-value' }, formatBytes(bytes)),
    );
  };
  return h(
    'div',
    { class: 'size-compare' },
    bar('.twn (2-bit)', info.fileBytes, 'ternary'),
    bar('fp32', info.fp32Bytes, 'float'),
    h('p', { class: 'size-ratio' }, 'Download of this network against the same network in 32-bit floats'),
  );
}

/** Per-layer table: weight shape, share of −1 / 0 / +1 as one stacked bar, and the scaling factor α. */
export function layerTable(info: ModelInfo): HTMLElement {
  const table = h(
    'table',
    { class: 'layers' },
    h(
      'thead',
      {},
      h('tr', {}, ...['Layer', 'Weights', '−1 · 0 · +1', 'Zeros', 'α', 'Size'].map((title) => h('th', {}, title))),
    ),
    h('tbody', {}, ...info.layers.map(layerRow)),
  );
  // Narrow screens scroll the table, not the page; a hint says so there, and shadows show which side hides more.
  return h(
    'div',
    { class: 'layer-table' },
    h('p', { class: 'scroll-hint', 'data-testid': 'scroll-hint' }, 'Swipe the table sideways for every column →'),
    h('div', { class: 'table-scroll' }, table),
  );
}

function layerRow(layer: LayerInfo): HTMLElement {
  const ternary = layer.dtype === 'ternary2';
  const segment = (fraction: number, className: string) => {
    const part = h('span', { class: className, title: `${className}: ${formatPercent(fraction)}` });
    part.style.flexGrow = String(fraction);
    return part;
  };
  const mix = ternary
    ? h(
        'div',
        { class: 'mix' },
        segment(layer.negativeFraction, 'minus'),
        segment(layer.zeroFraction, 'zero'),
        segment(layer.positiveFraction, 'plus'),
      )
    : h('span', { class: 'fp-tag' }, 'full precision');
  const alpha = layer.alpha
    ? layer.alpha.count === 1
      ? layer.alpha.mean.toPrecision(3)
      : `${layer.alpha.min.toPrecision(2)}–${layer.alpha.max.toPrecision(2)} (${layer.alpha.count} ch.)`
    : '—';
  return h(
    'tr',
    {},
    h('td', {}, h('code', {}, layer.name), h('span', { class: 'op' }, layer.op)),
    h('td', { class: 'num' }, layer.weightShape.join('×')),
    h('td', {}, mix),
    h('td', { class: 'num' }, formatPercent(layer.zeroFraction)),
    h('td', { class: 'num' }, alpha),
    h('td', { class: 'num' }, formatBytes(layer.bytes)),
  );
}

export function provenance(info: ModelInfo): string {
  const { metadata } = info;
  if (!metadata.trained) return 'Untrained (seeded random weights)';
  const accuracy = metadata.accuracy?.top1;
  const dataset = metadata.dataset ?? 'its dataset';
  const width = typeof metadata.width === 'number' && metadata.width !== 1 ? ` · channels ×${metadata.width}` : '';
  return accuracy === undefined
    ? `Trained on ${dataset}${width}`
    : `Trained on ${dataset}${width} · ${formatPercent(accuracy, 2)} test accuracy`;
}
