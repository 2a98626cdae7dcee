import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shipped template; tools/install.sh renders the same file with sed. */
export const CONFIG_TEMPLATE_PATH = fileURLToPath(new URL('../templates/configuration-qemu.toml.in', import.meta.url));

export interface TemplatePaths {
  prefix: string;
}

export function renderConfigTemplate(paths: TemplatePaths): string {
  return readFileSync(CONFIG_TEMPLATE_PATH, 'utf8').replaceAll('@PREFIX@', paths.prefix);
}
