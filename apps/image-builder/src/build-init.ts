import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run-command';

/**
 * Compiles the guest's PID 1 (guest-image/init/kata-init.c) statically, so it needs nothing
 * from the image; cached by the source's digest.
 */
export async function buildInit(source: string, digest: string, cacheDir: string): Promise<Buffer> {
  const dir = join(cacheDir, 'init');
  const out = join(dir, `kata-init-${digest.slice(0, 16)}`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const cc = process.env.CC ?? 'gcc';
    await runCommand(cc, ['-static', '-Os', '-Wall', '-Wextra', '-Werror', '-o', `${out}.tmp`, source]);
    await runCommand('strip', ['--strip-all', `${out}.tmp`]);
    await runCommand('mv', [`${out}.tmp`, out]);
  }
  return readFileSync(out);
}
