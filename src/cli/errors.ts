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
