import type { Prediction } from '../../src/index.js';
import { h } from './dom.js';
import { formatPercent } from './format.js';

/** Horizontal probability bars, one per class, in a fixed order (`byIndex`) or ranked. */
export function renderBars(
  container: HTMLElement,
  predictions: readonly Prediction[],
  options: { byIndex?: boolean; truth?: number } = {},
): void {
  const rows = options.byIndex ? [...predictions].sort((a, b) => a.index - b.index) : predictions;
  const best = predictions.reduce(
    (top, p) => (p.probability > top.probability ? p : top),
    predictions[0] ?? { index: -1, probability: 0 },
  );
  container.replaceChildren(
    ...rows.map((prediction) => {
      const classes = [
        'bar',
        prediction.index === best.index ? 'best' : '',
        prediction.index === options.truth ? 'truth' : '',
      ]
        .filter(Boolean)
        .join(' ');
      const fill = h('span', { class: 'bar-fill' });
      fill.style.width = `${Math.max(prediction.probability * 100, 0.5)}%`;
      return h(
        'li',
        { class: classes, 'data-label': prediction.label, 'data-probability': prediction.probability.toFixed(6) },
        h('span', { class: 'bar-label' }, prediction.label),
        h('span', { class: 'bar-track' }, fill),
        h('span', { class: 'bar-value' }, formatPercent(prediction.probability)),
      );
    }),
  );
}

export function placeholderBars(container: HTMLElement, labels: readonly string[]): void {
  renderBars(
    container,
    labels.map((label, index) => ({ index, label, probability: 0 })),
    { byIndex: true },
  );
  container.querySelectorAll('.best').forEach((row) => row.classList.remove('best'));
}
