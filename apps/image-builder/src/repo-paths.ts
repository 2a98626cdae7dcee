import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root: the nearest folder up from here (or `start`) holding nx.json and guest-image/. */
export function findRepoRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'guest-image'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no kata-ts checkout (nx.json + guest-image/) above ${start}`);
  }
}
