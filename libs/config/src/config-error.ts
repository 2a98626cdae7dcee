/** Stable codes callers and tests match on. */
export type ConfigErrorCode = 'NOT_FOUND' | 'UNREADABLE' | 'SYNTAX' | 'INVALID';

/**
 * A configuration problem, naming the file, the key and what is wrong, so the message that
 * containerd shows the user (`ctr: ... configuration.toml: hypervisor.qemu.default_vcpus: ...`)
 * says exactly what to fix.
 */
export class ConfigError extends Error {
  static readonly brand = Symbol.for('kata-ts.ConfigError');
  readonly code: ConfigErrorCode;
  readonly file: string | undefined;
  readonly key: string | undefined;

  constructor(code: ConfigErrorCode, problem: string, where: { file?: string; key?: string } = {}) {
    const prefix = [where.file, where.key].filter(Boolean).join(': ');
    super(prefix ? `${prefix}: ${problem}` : problem);
    this.name = 'ConfigError';
    this.code = code;
    this.file = where.file;
    this.key = where.key;
  }

  static is(err: unknown): err is ConfigError {
    return err instanceof Error && (err as unknown as Record<symbol, unknown>)[ConfigError.brand] === true;
  }
}
Object.defineProperty(ConfigError.prototype, ConfigError.brand, { value: true });
