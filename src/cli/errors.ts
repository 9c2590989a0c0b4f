/** A failure the CLI reports as one line, with the exit code that tells scripts what went wrong. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
  ) {
    super(message);
  }
}

export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/**
 * node:util parseArgs errors, in the CLI's words: Node's own messages run over several sentences and advise `--`
 * syntax that rarely helps.
 */
export function describeOptionError(error: unknown): string {
  const { code, message } = error as { code?: string; message: string };
  const longName = /--[\w-]+/.exec(message)?.[0] ?? 'an option';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${/option '([^']+)'/.exec(message)?.[1] ?? '?'}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(message) ? `${longName} needs a value` : `${longName} takes no value`;
    default:
      return message.split('\n')[0] ?? String(error);
  }
}
