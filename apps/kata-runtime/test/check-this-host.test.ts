import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport } from '../src/check/check-item';
import { startContainerd, type PrivateContainerd } from '@kata-ts/testing';

const execFileAsync = promisify(execFile);
const bundle = join(__dirname, '..', 'dist', 'kata-runtime.mjs');

/**
 * The built CLI against this machine's real /proc/cpuinfo, /dev/kvm, /dev/vhost-vsock, the real
 * QEMU and a real private containerd; only the guest kernel/initrd are stand-in files.
 */
describe('kata-runtime check on this host (built bundle)', () => {
  let dir: string;
  let containerd: PrivateContainerd | undefined;
  let config: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kata-runtime-host-'));
    containerd = await startContainerd({ dir: join(dir, 'containerd') });
    writeFileSync(join(dir, 'vmlinuz'), 'k');
    writeFileSync(join(dir, 'initrd.img'), 'i');
    config = join(dir, 'configuration.toml');
    writeFileSync(
      config,
      `[hypervisor.qemu]\npath = "/usr/bin/qemu-system-x86_64"\nkernel = "${dir}/vmlinuz"\ninitrd = "${dir}/initrd.img"\n` +
        `[proxy.kata]\npath = "/bin/true"\n`,
    );
  }, 30_000);
  afterAll(async () => {
    await containerd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      // KATA_TS_RUN_DIR: the KVM verdict for this stand-in kernel is cached in the temp dir.
      const env = { ...process.env, KATA_TS_RUN_DIR: dir };
      const { stdout, stderr } = await execFileAsync('node', [bundle, '--config', config, 'check', ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('tells the truth about this machine', async () => {
    const { code, stdout } = await check(['--json', '--containerd-address', containerd?.address ?? '']);
    const report = JSON.parse(stdout) as CheckReport;
    const byId = Object.fromEntries(report.items.map((i) => [i.id, i]));
    expect(byId.containerd).toMatchObject({ status: 'ok' });
    expect(byId.containerd?.detail).toMatch(/answers: containerd 1\.\d+/);
    expect(byId.qemu?.detail).toMatch(/QEMU emulator version \d/);
    const cpuHasVirt = /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
    expect(byId.cpu?.status).toBe(cpuHasVirt ? 'ok' : 'fallback');
    const vsock = existsSync('/dev/vhost-vsock');
    expect(byId.vsock?.status).toBe(vsock ? 'ok' : 'fallback');
    expect(report.capable).toBe(true);
    expect(code).toBe(0);
    expect(report.agentChannel).toBe(vsock ? 'vsock' : 'proxy');
    if (!existsSync('/dev/kvm')) expect(report.accelerator).toBe('tcg');
  });

  it('fails with exit 1 and names containerd when its socket does not answer', async () => {
    const { code, stdout, stderr } = await check(['--containerd-address', join(dir, 'none.sock')]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('MISSING  containerd');
    expect(stderr).toContain('System is not capable of running kata-ts containers');
  });
});
