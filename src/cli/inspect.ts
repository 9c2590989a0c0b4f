import type { LayerInfo, ModelInfo } from '../api/info.js';
import { formatBytes, formatPercent, keyValues, table } from './format.js';

export function formatInfo(path: string, info: ModelInfo): string {
  const { metadata } = info;
  const [channels, height, width] = info.inputShape;
  const accuracy = metadata.accuracy?.top1 === undefined ? '' : `, top-1 ${formatPercent(metadata.accuracy.top1, 2)} on ${metadata.accuracy.split ?? 'test'}`;
  const provenance = metadata.trained ? `trained${metadata.dataset ? ` on ${metadata.dataset}` : ''}${accuracy}` : 'NOT trained (seeded random weights)';
  const overview = keyValues([
    ['model', path],
    ['architecture', `${metadata.architecture ?? 'unknown'}: ${provenance}`],
    ['input', `${channels}×${height}×${width} ${info.colorLayout}`],
    ['labels', info.labels.length > 0 ? info.labels.join(', ') : '(none)'],
    ['size', `${formatBytes(info.fileBytes)} file; ${formatBytes(info.fp32Bytes)} as fp32 (${(info.fp32Bytes / info.fileBytes).toFixed(1)}× smaller)`],
    ['parameters', info.parameters.toLocaleString('en-US')],
  ]);
  const layers = table(
    ['layer', 'op', 'weight', 'dtype', 'zeros', '+1', '−1', 'α min', 'α mean', 'α max', 'bytes'],
    info.layers.map(layerRow),
    [4, 5, 6, 7, 8, 9, 10],
  );
  const extra = Object.entries(metadata)
    .filter(([key]) => !['trained', 'architecture', 'dataset', 'accuracy'].includes(key))
    .map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]);
  return [overview, '', layers, ...(extra.length > 0 ? ['', 'metadata', keyValues(extra)] : [])].join('\n');
}

export function backendLine(info: ModelInfo): string {
  const { backend } = info;
  // A software adapter passed over for the CPU is already named in the reason.
  const name = backend.adapter?.name;
  const adapter = name !== undefined && !backend.reason.includes(name) ? `; adapter: ${name}` : '';
  const kernels = backend.kernels ? `; kernels: ${backend.kernels}` : '';
  return `${backend.kind} (${backend.reason}${adapter}${kernels})`;
}

function layerRow(layer: LayerInfo): string[] {
  const alpha = layer.alpha;
  const signs = layer.dtype === 'ternary2' ? [formatPercent(layer.positiveFraction), formatPercent(layer.negativeFraction)] : ['', ''];
  const alphas = alpha ? [alpha.min, alpha.mean, alpha.max].map((value) => value.toPrecision(4)) : ['fp32', '', ''];
  return [layer.name, layer.op, layer.weightShape.join('×'), layer.dtype, formatPercent(layer.zeroFraction), ...signs, ...alphas, formatBytes(layer.bytes)];
}
