import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './repo';
import { runCommand } from './run-command';

export interface KataInstall {
  prefix: string;
  /** Holds `containerd-shim-kata-v2` and `kata-runtime` (put first on containerd's PATH). */
  binDir: string;
  /** The installed configuration.toml (ctr's --runtime-config-path, the CRI handler's ConfigPath). */
  configPath: string;
}

export interface InstallKataOptions {
  /** Install into `prefix` even when $KATA_TS_PREFIX names an install (the test of install.sh itself). */
  fresh?: boolean;
}

/** The layout of Kata's static release that `tools/install.sh --prefix` reproduces. */
export function kataInstallAt(prefix: string): KataInstall {
  return { prefix, binDir: join(prefix, 'bin'), configPath: join(prefix, 'share/defaults/kata-containers/configuration.toml') };
}

async function run(file: string, args: string[]): Promise<void> {
  const r = await runCommand(file, args, { cwd: REPO_ROOT, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${(r.stderr || r.stdout).slice(-3000)}`);
}

/**
 * An installed kata-ts, as users have it: `$KATA_TS_PREFIX` when set (an existing install, used
 * as it is), else the shim, proxy and kata-runtime bundles and the guest image are built and
 * everything installed with `tools/install.sh --prefix <prefix>`. The bundles are rebuilt every
 * time (esbuild, a second each) so a test never runs a stale shim; tools/build-guest-image
 * rebuilds only when an input changed. Both under one lock: test files of several projects run
 * in parallel, and both builds write into the shared work tree.
 */
export async function installKata(prefix: string, options: InstallKataOptions = {}): Promise<KataInstall> {
  const given = options.fresh ? undefined : process.env.KATA_TS_PREFIX;
  const install = kataInstallAt(given || prefix);
  if (!given) {
    const lock = join(tmpdir(), 'kata-ts-build.lock');
    await run('flock', [lock, 'npm', 'run', '--silent', 'build', '-w', '@kata-ts/shim', '-w', '@kata-ts/proxy', '-w', '@kata-ts/kata-runtime']);
    await run('flock', [lock, join(REPO_ROOT, 'tools/build-guest-image')]);
    await run(join(REPO_ROOT, 'tools/install.sh'), ['--prefix', prefix]);
  }
  for (const path of [join(install.binDir, 'containerd-shim-kata-v2'), install.configPath]) {
    if (!existsSync(path)) throw new Error(`kata-ts install at ${install.prefix} lacks ${path}`);
  }
  return install;
}
