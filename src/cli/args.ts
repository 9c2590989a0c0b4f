import { parseArgs } from 'node:util';
import type { BackendRequest } from '../api/backend.js';
import { CONVERT_USAGE, parseConvertCommand, type ConvertCommand } from './convert.js';
import { CliError, EXIT } from './errors.js';

export const USAGE = `Usage:
  twn classify <model.twn> <image.png|jpg>... [--top K] [--backend auto|webgpu|cpu] [--json]
  twn inspect <model.twn> [--json]
  twn bench <model.twn> [--backend auto|webgpu|cpu] [--batch N] [--runs N] [--warmup N] [--json]
${CONVERT_USAGE}
  twn --help | --version

Backends: 'auto' (default) runs on a hardware WebGPU adapter through the optional "webgpu" package (Dawn), and
on the CPU when there is none or only a software one. On Linux without a GPU driver, WebGPU needs a Vulkan ICD,
e.g. VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.`;

export interface CommonOptions {
  backend: BackendRequest;
  json: boolean;
}

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | ({ name: 'classify'; model: string; images: string[]; top: number } & CommonOptions)
  | ({ name: 'inspect'; model: string } & CommonOptions)
  | ({ name: 'bench'; model: string; batch: number; runs: number; warmup: number } & CommonOptions)
  | ConvertCommand;

const BACKENDS: readonly BackendRequest[] = ['auto', 'webgpu', 'cpu'];

export function parseCommand(argv: readonly string[]): Command {
  if (argv[0] === 'convert') return parseConvertCommand(argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        top: { type: 'string', short: 'k' },
        backend: { type: 'string', short: 'b' },
        batch: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { name: 'help' };
  if (values.version) return { name: 'version' };
  const [name, model, ...rest] = positionals;
  if (name === undefined) throw usage('no command given');
  const common: CommonOptions = { backend: backendOption(values.backend), json: values.json ?? false };
  const allowOnly = (allowed: string[]) => {
    const misplaced = ['top', 'batch', 'runs', 'warmup', 'backend'].find((option) => values[option as keyof typeof values] !== undefined && !allowed.includes(option));
    if (misplaced) throw usage(`--${misplaced} does not apply to '${name}'`);
  };
  switch (name) {
    case 'classify':
      allowOnly(['top', 'backend']);
      if (model === undefined || rest.length === 0) throw usage('classify needs a model and at least one image');
      return { name, model, images: rest, top: positiveInteger('top', values.top, 5), ...common };
    case 'inspect':
      allowOnly([]);
      if (model === undefined || rest.length > 0) throw usage('inspect needs exactly one model');
      return { name, model, ...common };
    case 'bench':
      allowOnly(['backend', 'batch', 'runs', 'warmup']);
      if (model === undefined || rest.length > 0) throw usage('bench needs exactly one model');
      return {
        name,
        model,
        batch: positiveInteger('batch', values.batch, 1),
        runs: positiveInteger('runs', values.runs, 20),
        warmup: positiveInteger('warmup', values.warmup, 3, 0),
        ...common,
      };
    default:
      throw usage(`unknown command '${name}'`);
  }
}

function backendOption(value: string | undefined): BackendRequest {
  if (value === undefined) return 'auto';
  if (!BACKENDS.includes(value as BackendRequest)) throw usage(`--backend must be one of ${BACKENDS.join(', ')}, not '${value}'`);
  return value as BackendRequest;
}

function positiveInteger(option: string, value: string | undefined, fallback: number, minimum = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < minimum) {
    throw usage(`--${option} must be an integer ≥ ${minimum}, not '${value}'`);
  }
  return number;
}

function usage(message: string): CliError {
  return new CliError(`${message} (see twn --help)`, EXIT.USAGE);
}
