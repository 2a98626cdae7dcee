import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { checkConfigPaths } from './check-config-paths';
import { ConfigError } from './config-error';
import { findConfig, type FindConfigOptions } from './find-config';
import type { KataConfig } from './kata-config';
import { assertTable, parseConfig } from './parse-config';
import { TableReader, type TomlTable } from './table-reader';

export interface LoadConfigOptions extends FindConfigOptions {
  /** Check that the binaries and images named exist (default true). */
  checkPaths?: boolean;
}

/** Finds, reads, merges `config.d/*.toml` drop-ins (in name order) and validates. */
export function loadConfig(options: LoadConfigOptions = {}): KataConfig {
  const found = findConfig(options);
  return loadConfigFile(found.path, found.reason, options.checkPaths ?? true);
}

export function loadConfigFile(path: string, reason = 'named explicitly', checkPaths = true): KataConfig {
  let doc = readToml(path);
  const dropInDir = join(dirname(path), 'config.d');
  const dropIns = existsSync(dropInDir)
    ? readdirSync(dropInDir)
        .filter((f) => f.endsWith('.toml'))
        .sort()
        .map((f) => join(dropInDir, f))
    : [];
  for (const dropIn of dropIns) doc = mergeTables(doc, readToml(dropIn));
  const file = dropIns.length ? `${path} (+ ${dropIns.length} drop-in(s))` : path;
  const config: KataConfig = { ...parseConfig(doc, file), source: { path, reason, dropIns } };
  if (checkPaths) checkConfigPaths(config);
  return config;
}

function readToml(path: string): TomlTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('UNREADABLE', `cannot read: ${(err as Error).message}`, { file: path });
  }
  try {
    return assertTable(parseToml(text), path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const first = String((err as Error).message).split('\n')[0];
    const { line, column } = err as { line?: number; column?: number };
    const where = line ? ` at line ${line}, column ${column}` : '';
    throw new ConfigError('SYNTAX', `TOML syntax error${where}: ${first}`, { file: path });
  }
}

/** Drop-in semantics: tables merge recursively, any other value replaces. */
export function mergeTables(base: TomlTable, over: TomlTable): TomlTable {
  const out: TomlTable = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = TableReader.isTable(prev) && TableReader.isTable(value) ? mergeTables(prev, value) : value;
  }
  return out;
}
