/** `twn convert <model.onnx> -o <model.twn>`: the ONNX converter (src/convert/) on files. */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImageDataLike } from '../api/preprocess.js';
import { convertOnnx, type Conversion, type ConvertOptions } from '../convert/index.js';
import type { Granularity } from '../ternarize.js';
import { CliError, describeOptionError, EXIT } from './errors.js';
import { readBytes } from './files.js';
import { decodeImage } from './image.js';

export const CONVERT_USAGE = `  twn convert <model.onnx> -o <model.twn> [--labels FILE] [--tolerance REL] [--json]
              [--ternarize [--keep-float NODE,...] [--granularity per-channel|per-layer] [--samples IMAGE|DIR]]`;

export interface ConvertCommand {
  readonly name: 'convert';
  readonly model: string;
  readonly output: string;
  readonly labelsFile: string | undefined;
  /** A PNG/JPEG file, or a directory of them, to measure a ternarized model's agreement on. */
  readonly samplesPath: string | undefined;
  readonly json: boolean;
  readonly options: ConvertOptions;
}

const GRANULARITIES: readonly Granularity[] = ['per-channel', 'per-layer'];

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  ternarize: { type: 'boolean' },
  'keep-float': { type: 'string' },
  granularity: { type: 'string' },
  tolerance: { type: 'string' },
  labels: { type: 'string' },
  samples: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw usage(describeOptionError(error));
  }
}

/** Parses the arguments after `convert`. */
export function parseConvertCommand(argv: readonly string[]): ConvertCommand {
  const parsed = parseOptions(argv);
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw usage('convert needs exactly one ONNX model');
  if (values.output === undefined) throw usage('convert needs -o <model.twn>');
  if (!values.ternarize && (values['keep-float'] ?? values.granularity ?? values.samples) !== undefined) {
    throw usage('--keep-float, --granularity and --samples apply only with --ternarize');
  }
  const granularity = values.granularity as Granularity | undefined;
  if (granularity !== undefined && !GRANULARITIES.includes(granularity)) {
    throw usage(`--granularity must be one of ${GRANULARITIES.join(', ')}, not '${values.granularity}'`);
  }
  const tolerance = values.tolerance === undefined ? undefined : Number(values.tolerance);
  if (tolerance !== undefined && !(tolerance >= 0 && tolerance < 1))
    throw usage(`--tolerance must be in [0, 1), not '${values.tolerance}'`);
  return {
    name: 'convert',
    model: positionals[0]!,
    output: values.output,
    labelsFile: values.labels,
    samplesPath: values.samples,
    json: values.json ?? false,
    options: {
      ternarize: values.ternarize ?? false,
      ...(values['keep-float'] !== undefined
        ? { keepFloat: values['keep-float'].split(',').filter((name) => name !== '') }
        : {}),
      ...(granularity !== undefined ? { granularity } : {}),
      ...(tolerance !== undefined ? { ternaryTolerance: tolerance } : {}),
    },
  };
}

/** Converts, writes the `.twn` file, and returns the summary to print (warnings included). */
export async function convertFile(command: ConvertCommand): Promise<string> {
  const labels = command.labelsFile === undefined ? [] : await readLabels(command.labelsFile);
  const samples = command.samplesPath === undefined ? undefined : await readSamples(command.samplesPath);
  let conversion: Conversion;
  try {
    conversion = convertOnnx(await readBytes(command.model), {
      ...command.options,
      labels,
      ...(samples ? { samples } : {}),
    });
  } catch (error) {
    if (error instanceof Error) error.message = `${command.model}: ${error.message}`;
    throw error;
  }
  try {
    await writeFile(command.output, conversion.bytes);
  } catch (error) {
    throw new CliError(`cannot write ${command.output}: ${(error as Error).message}`);
  }
  const { report } = conversion;
  if (command.json)
    return JSON.stringify({ output: command.output, bytes: conversion.bytes.length, ...report }, null, 2);
  const { input } = report;
  const lines = [
    `wrote ${command.output} (${conversion.bytes.length} bytes)`,
    `input: ${input.name} [${input.shape.join(', ')}] ${input.colorLayout}, ` +
      `mean [${input.mean.join(', ')}], std [${input.std.join(', ')}]`,
    `outputs: ${report.outputs.join(', ')}`,
    ...report.layers.map(
      (layer) =>
        `  ${layer.op.padEnd(7)} ${layer.node} [${layer.shape.join(', ')}]: ${layer.weight}` +
        (layer.granularity ? ` (${layer.granularity} α)` : ''),
    ),
    ...report.warnings.map((warning) => `warning: ${warning}`),
  ];
  return lines.join('\n');
}

/** One class name per line; blank lines at the end are ignored. */
async function readLabels(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const trimmed = text.replace(/\s+$/, '');
  return trimmed === '' ? [] : trimmed.split(/\r?\n/);
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** The image at `path`, or every PNG/JPEG in the directory at `path` (sorted by name), decoded to RGBA. */
async function readSamples(path: string): Promise<ImageDataLike[]> {
  let files = [path];
  if ((await stat(path).catch(() => undefined))?.isDirectory()) {
    files = (await readdir(path))
      .filter((name) => IMAGE_FILE.test(name))
      .sort()
      .map((name) => join(path, name));
    if (files.length === 0) throw new CliError(`--samples: no .png or .jpg files in ${path}`);
  }
  return Promise.all(files.map(async (file) => decodeImage(await readBytes(file), file)));
}

function usage(message: string): CliError {
  return new CliError(`${message} (see twn --help)`, EXIT.USAGE);
}
