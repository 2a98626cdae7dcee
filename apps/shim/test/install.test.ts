import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '@kata-ts/config';
import { installKata, REPO_ROOT, runCommand, type KataInstall } from '@kata-ts/testing';

// What tools/install.sh lays out, without containerd (the full stack is e2e/test/ctr-run.test.ts).
describe('tools/install.sh --prefix', () => {
  let kata: KataInstall;
  beforeAll(async () => {
    // Always a fresh install: this tests install.sh itself, not an install $KATA_TS_PREFIX names.
    kata = await installKata(mkdtempSync(join(tmpdir(), 'kata-prefix-')), { fresh: true });
  }, 900_000);
  afterAll(() => rmSync(kata.prefix, { recursive: true, force: true }));

  it("lays out Kata's static release with absolute paths into the prefix", () => {
    const p = kata.prefix;
    for (const f of [
      'bin/containerd-shim-kata-v2',
      'libexec/kata-ts/kata-proxy',
      'share/defaults/kata-containers/configuration.toml',
      'share/defaults/kata-containers/configuration-qemu.toml',
      'share/kata-containers/vmlinuz.container',
      'share/kata-containers/vmlinux.container',
      'share/kata-containers/kata-containers-initrd.img',
      'share/kata-containers/kata-containers-image-initrd.img',
      'share/kata-containers/kata-containers.img',
      'containerd/config.d/kata-deploy.toml',
    ]) {
      expect(existsSync(join(p, f)), f).toBe(true);
    }
    const config = loadConfigFile(kata.configPath); // validates, and checks every path exists
    expect(config.hypervisor.kernel.startsWith(`${p}/`)).toBe(true);
    expect(config.hypervisor.initrd).toBe(join(p, 'share/kata-containers/kata-containers-image-initrd.img'));
    expect(config.hypervisor.image).toBe(join(p, 'share/kata-containers/kata-containers.img'));
    // The shim holds the agent channel; the installed kata-proxy is named for those who want it.
    expect(config.proxy.path).toBe('');
    expect(readFileSync(kata.configPath, 'utf8')).toContain(`${p}/libexec/kata-ts/kata-proxy`);
    const dropIn = readFileSync(join(p, 'containerd/config.d/kata-deploy.toml'), 'utf8');
    expect(dropIn).toContain(`runtime_path = "${p}/bin/containerd-shim-kata-v2"`);
    expect(dropIn).toContain(`ConfigPath = "${p}/share/defaults/kata-containers/configuration-qemu.toml"`);
  });

  it('runs without the source tree (hidden under a tmpfs in a private mount namespace)', async () => {
    const script = `mount -t tmpfs none '${REPO_ROOT}' && '${kata.binDir}/containerd-shim-kata-v2' -v && '${kata.prefix}/libexec/kata-ts/kata-proxy' --help`;
    const r = await runCommand('unshare', ['-m', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/containerd-shim-kata-v2 \(kata-ts\) version/);
    expect(r.stdout).toMatch(/Usage: kata-proxy/);
  });

  it('reports the commit of the checkout that built it (shim and kata-runtime)', async () => {
    const head = (await runCommand('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    const shim = await runCommand(join(kata.binDir, 'containerd-shim-kata-v2'), ['-v']);
    expect(shim.stdout).toMatch(new RegExp(`, commit ${head}(-dirty)?, node `));
    const cli = await runCommand(join(kata.binDir, 'kata-runtime'), ['--version']);
    expect(cli.stdout).toMatch(new RegExp(`commit {3}: ${head}(-dirty)?\n`));
  });
});
