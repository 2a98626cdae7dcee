import { ConfigError } from './config-error';

export type TomlTable = Record<string, unknown>;

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * Reads typed keys out of one TOML table; every problem becomes a ConfigError naming the file
 * and the dotted key. Unknown keys are ignored, as Kata does (its shipped files carry many keys
 * that a given build does not use).
 */
export class TableReader {
  readonly #file: string;
  readonly #prefix: string;
  readonly #table: TomlTable;

  constructor(file: string, prefix: string, table: unknown) {
    this.#file = file;
    this.#prefix = prefix;
    if (table !== undefined && !isTable(table)) this.#fail(prefix, 'must be a table');
    this.#table = (table as TomlTable | undefined) ?? {};
  }

  static isTable = isTable;

  has(key: string): boolean {
    return this.#table[key] !== undefined;
  }

  string(key: string, fallback: string): string {
    const v = this.#table[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.#fail(key, `must be a string, got ${describe(v)}`);
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.#table[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') this.#fail(key, `must be true or false, got ${describe(v)}`);
    return v;
  }

  int(key: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const v = this.#table[key];
    if (v === undefined) return fallback;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) this.#fail(key, `must be an integer, got ${describe(v)}`);
    if (range.min !== undefined && n < range.min) this.#fail(key, `must be at least ${range.min}, got ${n}`);
    if (range.max !== undefined && n > range.max) this.#fail(key, `must be at most ${range.max}, got ${n}`);
    return n;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(key, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      this.#fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${v}"`);
    }
    return v as T;
  }

  strings(key: string, fallback: string[]): string[] {
    const v = this.#table[key];
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) {
      this.#fail(key, `must be an array of strings, got ${describe(v)}`);
    }
    return v as string[];
  }

  fail(key: string, problem: string): never {
    this.#fail(key, problem);
  }

  #fail(key: string, problem: string): never {
    const dotted = key === this.#prefix ? key : `${this.#prefix}.${key}`;
    throw new ConfigError('INVALID', problem, { file: this.#file, key: dotted });
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  return `${typeof v} ${JSON.stringify(v)}`;
}
