export type CliErrorCode = 'NOT_CAPABLE' | 'SANDBOX_NOT_FOUND' | 'DEBUG_CONSOLE_DISABLED' | 'CONSOLE_UNREACHABLE' | 'FACTORY_DISABLED';

/** An error the CLI reports as `kata-runtime: <message>` with a non-zero exit, without a stack. */
export class CliError extends Error {
  static readonly brand = Symbol.for('kata-ts.CliError');
  readonly code: CliErrorCode;
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }

  static is(err: unknown): err is CliError {
    return err instanceof Error && (err as unknown as Record<symbol, unknown>)[CliError.brand] === true;
  }
}
Object.defineProperty(CliError.prototype, CliError.brand, { value: true });
