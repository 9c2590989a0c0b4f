import type { LayerInfo, ModelInfo } from '../../src/index.js';
import { h } from './dom.js';
import { formatBytes, formatPercent } from './format.js';

/** Download size against the fp32 equivalent, as two bars to scale. */
export function sizeComparison(info: ModelInfo): HTMLElement {
  const ratio = info.fp32Bytes / info.fileBytes;
  const bar = (label: string, bytes: number, className: string) => {
    const fill = h('span', { class: `size-fill ${className}` });
    fill.style.width = `${Math.max((bytes / info.fp32Bytes) * 100, 0.8)}%`;
    return h('div', { class: 'size-row' }, h('span', { class: 'size-label' }, label), h('span', { class: 'size-track' }, fill), h('span', { class: 'size-value' }, formatBytes(bytes)));
  };
  return h(
    'div',
    { class: 'size-compare' },
    bar('.twn (2-bit)', info.fileBytes, 'ternary'),
    bar('fp32', info.fp32Bytes, 'float'),
    h('p', { class: 'size-ratio' }, h('strong', {}, `${ratio.toFixed(1)}× smaller`), ` download than the same network in 32-bit floats`),
  );
}

/** Per-layer table: weight shape, share of −1 / 0 / +1 as one stacked bar, and the scaling factor α. */
export function layerTable(info: ModelInfo): HTMLElement {
  const table = h(
    'table',
    { class: 'layers' },
    h('thead', {}, h('tr', {}, ...['Layer', 'Weights', '−1 · 0 · +1', 'Zeros', 'α', 'Size'].map((title) => h('th', {}, title)))),
    h('tbody', {}, ...info.layers.map(layerRow)),
  );
  // Narrow screens scroll the table, not the page.
  return h('div', { class: 'table-scroll' }, table);
}

function layerRow(layer: LayerInfo): HTMLElement {
  const ternary = layer.dtype === 'ternary2';
  const segment = (fraction: number, className: string) => {
    const part = h('span', { class: className, title: `${className}: ${formatPercent(fraction)}` });
    part.style.flexGrow = String(fraction);
    return part;
  };
  const mix = ternary
    ? h('div', { class: 'mix' }, segment(layer.negativeFraction, 'minus'), segment(layer.zeroFraction, 'zero'), segment(layer.positiveFraction, 'plus'))
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
  return accuracy === undefined ? `Trained on ${dataset}${width}` : `Trained on ${dataset}${width} · ${formatPercent(accuracy, 2)} test accuracy`;
}
