import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './config-error';

export const ETC_CONFIG = '/etc/kata-containers/configuration.toml';
export const SYSTEM_DEFAULT_CONFIG = '/usr/share/defaults/kata-containers/configuration.toml';

export interface FindConfigOptions {
  /** runtimeoptions.v1.Options.config_path (containerd's options.ConfigPath, `ctr --runtime-config-path`). */
  configPath?: string;
  /** Environment to read KATA_CONF_FILE from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The running binary (e.g. <prefix>/bin/containerd-shim-kata-v2): its prefix's defaults are a candidate. */
  binaryPath?: string;
}

export interface FoundConfig {
  path: string;
  /** Why this file: which rule of the lookup order picked it. */
  reason: string;
}

/** `<prefix>/share/defaults/kata-containers/configuration.toml` for a binary in `<prefix>/bin/`. */
export function prefixDefaultConfig(binaryPath: string): string {
  return join(dirname(dirname(resolve(binaryPath))), 'share/defaults/kata-containers/configuration.toml');
}

/**
 * Kata's lookup order. An explicitly named file (ConfigPath, KATA_CONF_FILE) must exist: falling
 * back silently would run the user's pod with a configuration they did not ask for.
 */
export function findConfig(options: FindConfigOptions = {}): FoundConfig {
  const env = options.env ?? process.env;
  const explicit: Array<[string | undefined, string]> = [
    [options.configPath, 'runtime option ConfigPath'],
    [env.KATA_CONF_FILE, 'environment variable KATA_CONF_FILE'],
  ];
  for (const [path, reason] of explicit) {
    if (!path) continue;
    if (!existsSync(path)) {
      throw new ConfigError('NOT_FOUND', `configuration file does not exist (named by ${reason})`, { file: path });
    }
    return { path: resolve(path), reason };
  }
  const defaults: Array<[string, string]> = [
    [ETC_CONFIG, 'default path (administrator override)'],
    [SYSTEM_DEFAULT_CONFIG, 'default path (system defaults)'],
  ];
  if (options.binaryPath) defaults.push([prefixDefaultConfig(options.binaryPath), 'defaults of the install prefix']);
  for (const [path, reason] of defaults) {
    if (existsSync(path)) return { path, reason };
  }
  throw new ConfigError(
    'NOT_FOUND',
    `no configuration file found; tried ${defaults.map(([p]) => p).join(', ')} ` +
      '(set options.ConfigPath, --runtime-config-path or KATA_CONF_FILE)',
  );
}
