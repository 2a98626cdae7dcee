import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCommand } from '@kata-ts/testing';

export const REPO = resolve(import.meta.dirname, '../../..');

export interface Installed {
  prefix: string;
  bin: string;
  configPath: string;
}

/** Installs kata-ts with tools/install.sh into a fresh temp prefix: the tests drive what users install. */
export async function installToTempPrefix(): Promise<Installed> {
  const run = async (file: string, args: string[]) => {
    const r = await runCommand(file, args, { cwd: REPO, timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  };
  // The bundles are rebuilt every time (esbuild, a second each) so the test never runs a stale
  // shim; the guest image only when missing (a fresh checkout, as in CI): its builder runs nx
  // builds of the agent and native code, which race with other builds in a shared work tree.
  // Under a lock, as test files run in parallel.
  const lock = join(tmpdir(), 'kata-ts-build.lock');
  await run('flock', [lock, 'npm', 'run', '--silent', 'build', '-w', '@kata-ts/shim', '-w', '@kata-ts/proxy', '-w', '@kata-ts/kata-runtime']);
  if (!existsSync(join(REPO, 'build/guest/kata-containers-initrd.img'))) await run('flock', [lock, join(REPO, 'tools/build-guest-image')]);
  const prefix = mkdtempSync(join(tmpdir(), 'kata-prefix-'));
  await run(join(REPO, 'tools/install.sh'), ['--prefix', prefix]);
  return { prefix, bin: join(prefix, 'bin'), configPath: join(prefix, 'share/defaults/kata-containers/configuration.toml') };
}
