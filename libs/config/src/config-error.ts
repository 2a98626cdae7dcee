import { KataError } from '@kata-ts/errors';

/** Stable codes callers and tests match on. */
export type ConfigErrorCode = 'NOT_FOUND' | 'UNREADABLE' | 'SYNTAX' | 'INVALID';

/**
 * A configuration problem, naming the file, the key and what is wrong, so the message that
 * containerd shows the user (`ctr: ... configuration.toml: hypervisor.qemu.default_vcpus: ...`)
 * says exactly what to fix.
 */
export class ConfigError extends KataError<ConfigErrorCode> {
  readonly file: string | undefined;
  readonly key: string | undefined;

  constructor(code: ConfigErrorCode, problem: string, where: { file?: string; key?: string } = {}) {
    const prefix = [where.file, where.key].filter(Boolean).join(': ');
    super(code, prefix ? `${prefix}: ${problem}` : problem);
    this.file = where.file;
    this.key = where.key;
  }
}
