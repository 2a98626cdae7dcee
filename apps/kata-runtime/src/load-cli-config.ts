import { loadConfig, loadConfigFile, type KataConfig } from '@kata-ts/config';

/**
 * The CLI's view of the configuration: `--config FILE` (Kata's global flag) or Kata's lookup order
 * (KATA_CONF_FILE, /etc, /usr/share/defaults, then the install prefix of this binary). Paths are
 * not checked here: `check` reports each missing file as its own item.
 */
export function loadCliConfig(configFile: string | undefined, env: NodeJS.ProcessEnv, runtimePath: string): KataConfig {
  if (configFile) return loadConfigFile(configFile, 'named by --config', false);
  return loadConfig({ env, binaryPath: runtimePath, checkPaths: false });
}
