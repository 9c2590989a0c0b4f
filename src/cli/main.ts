import { TwnDeviceError, TwnError } from '../errors.js';
import { parseCommand, USAGE, type Command } from './args.js';
import { bench, formatBench } from './bench.js';
import { classifyImages, formatResults } from './classify.js';
import { convertFile } from './convert.js';
import { CliError, EXIT } from './errors.js';
import { loadModelFile } from './files.js';
import { backendLine, formatInfo } from './inspect.js';

declare const __TWN_VERSION__: string;

async function execute(command: Command, print: (text: string) => void): Promise<void> {
  switch (command.name) {
    case 'help':
      return print(USAGE);
    case 'version':
      return print(typeof __TWN_VERSION__ === 'string' ? __TWN_VERSION__ : 'development');
    case 'convert':
      return print(await convertFile(command));
    default:
  }
  const model = await loadModelFile(command.model, command.name === 'inspect' ? 'cpu' : command.backend);
  try {
    if (command.name === 'inspect') {
      print(command.json ? JSON.stringify(model.info, null, 2) : formatInfo(command.model, model.info));
    } else if (command.name === 'classify') {
      const results = await classifyImages(model, command.images, command.top);
      print(command.json ? JSON.stringify({ backend: model.info.backend, results }, null, 2) : `backend: ${backendLine(model.info)}\n\n${formatResults(results)}`);
    } else {
      const result = await bench(model, command.batch, command.runs, command.warmup);
      print(command.json ? JSON.stringify({ backend: model.info.backend, ...result }, null, 2) : `backend: ${backendLine(model.info)}\n${formatBench(result)}`);
    }
  } finally {
    model.dispose();
  }
}

/**
 * Dawn finds no adapter on Linux without a Vulkan driver; a software one (SwiftShader, shipped with Chromium) is
 * enough for `--backend webgpu`.
 */
function vulkanHint(error: unknown): string {
  if (!(error instanceof TwnDeviceError) || !['NO_ADAPTER', 'DEVICE_REQUEST_FAILED'].includes(error.code)) return '';
  if (process.platform !== 'linux' || error.message.includes('VK_ICD_FILENAMES')) return '';
  return process.env.VK_ICD_FILENAMES
    ? ` (VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES} gave none)`
    : ' (set VK_ICD_FILENAMES to a Vulkan driver manifest, e.g. /usr/lib/chromium/vk_swiftshader_icd.json)';
}

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processOutput: Output = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

/** Runs the CLI and returns its exit code; every failure is one line on stderr. */
export async function main(argv: readonly string[], output: Output = processOutput): Promise<number> {
  try {
    await execute(parseCommand(argv), (text) => output.stdout(`${text}\n`));
    return EXIT.OK;
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : EXIT.FAILURE;
    const message = error instanceof TwnError ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error);
    output.stderr(`twn: error: ${message.split('\n')[0]}${vulkanHint(error)}\n`);
    return exitCode;
  }
}
