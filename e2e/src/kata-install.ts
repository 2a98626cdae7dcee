import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from '@kata-ts/testing';

const ROOT = resolve(import.meta.dirname, '../..');

export interface KataInstall {
  prefix: string;
  /** Holds `containerd-shim-kata-v2` (put first on containerd's PATH). */
  binDir: string;
  /** The `kata` handler's options.ConfigPath. */
  configPath: string;
}

/** The layout of Kata's static release that `tools/install.sh --prefix` reproduces (DESIGN.md). */
export function kataInstallAt(prefix: string): KataInstall {
  return { prefix, binDir: join(prefix, 'bin'), configPath: join(prefix, 'share/defaults/kata-containers/configuration.toml') };
}

async function run(file: string, args: string[]): Promise<void> {
  const r = await runCommand(file, args, { cwd: ROOT, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${(r.stderr || r.stdout).slice(-3000)}`);
}

/**
 * An installed kata-ts: `$KATA_TS_PREFIX` when set (an existing install), else the guest image is
 * built (tools/build-guest-image, cached) and everything installed with `tools/install.sh --prefix`
 * into `prefix`. The apps themselves are built first by nx (e2e's test target depends on `^build`).
 */
export async function installKata(prefix: string): Promise<KataInstall> {
  const given = process.env.KATA_TS_PREFIX;
  const install = kataInstallAt(given || prefix);
  if (!given) {
    const script = join(ROOT, 'tools/install.sh');
    if (!existsSync(script)) throw new Error(`${script} is missing: the shim's install step has not landed`);
    await run(join(ROOT, 'tools/build-guest-image'), []);
    await run(script, ['--prefix', prefix]);
  }
  for (const path of [join(install.binDir, 'containerd-shim-kata-v2'), install.configPath]) {
    if (!existsSync(path)) throw new Error(`kata-ts install at ${install.prefix} lacks ${path}`);
  }
  return install;
}
