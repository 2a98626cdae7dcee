import { KataError } from '@kata-ts/errors';

export type CliErrorCode = 'NOT_CAPABLE' | 'SANDBOX_NOT_FOUND' | 'DEBUG_CONSOLE_DISABLED' | 'CONSOLE_UNREACHABLE' | 'FACTORY_DISABLED';

/** An error the CLI reports as `kata-runtime: <message>` with a non-zero exit, without a stack. */
export class CliError extends KataError<CliErrorCode> {
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, exitCode = 1) {
    super(code, message);
    this.exitCode = exitCode;
  }
}
