import { parseArgs } from 'node:util';
import type { BackendRequest } from '../api/backend.js';
import { CONVERT_USAGE, parseConvertCommand, type ConvertCommand } from './convert.js';
import { CliError, describeOptionError, EXIT } from './errors.js';

/** Far above any benchmark worth running, far below a batch whose input alone would not fit in memory. */
export const MAX_BENCH_BATCH = 4096;
const MAX_BENCH_RUNS = 1_000_000;
const DEFAULTS = { top: 5, batch: 1, runs: 20, warmup: 3 } as const;

export const USAGE = `Usage:
  twn classify <model.twn|URL> <image.png|jpg>... [--top K] [--backend B] [--json]
  twn inspect <model.twn|URL> [--json]
  twn bench <model.twn|URL> [--backend B] [--batch N] [--runs N] [--warmup N] [--json]
${CONVERT_USAGE}
  twn --help | --version

Options:
  -k, --top K       classes to print per image (default ${DEFAULTS.top})
  -b, --backend B   auto, webgpu or cpu (default auto)
  --batch N         images per bench run, 1 to ${MAX_BENCH_BATCH} (default ${DEFAULTS.batch})
  --runs N          timed bench runs (default ${DEFAULTS.runs})
  --warmup N        untimed bench runs first (default ${DEFAULTS.warmup})
  --json            machine-readable output (default: text)

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
    throw usage(describeOptionError(error));
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
      return { name, model, images: rest, top: integerOption('top', values.top, DEFAULTS.top), ...common };
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
        batch: integerOption('batch', values.batch, DEFAULTS.batch, 1, MAX_BENCH_BATCH),
        runs: integerOption('runs', values.runs, DEFAULTS.runs, 1, MAX_BENCH_RUNS),
        warmup: integerOption('warmup', values.warmup, DEFAULTS.warmup, 0, MAX_BENCH_RUNS),
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

function integerOption(option: string, value: string | undefined, fallback: number, minimum = 1, maximum = Infinity) {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < minimum || number > maximum) {
    const range = maximum === Infinity ? `≥ ${minimum}` : `from ${minimum} to ${maximum}`;
    throw usage(`--${option} must be an integer ${range}, not '${value}'`);
  }
  return number;
}

function usage(message: string): CliError {
  return new CliError(`${message} (see twn --help)`, EXIT.USAGE);
}
