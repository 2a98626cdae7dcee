import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBusyboxImage, runCommand, startContainerd, type PrivateContainerd } from '@kata-ts/testing';
import { isRoot } from './harness';

/*
 * The agent's data paths as a user reaches them: tools/install.sh into a temp prefix, a private
 * containerd, one kata sandbox (QEMU, TCG here) started with debug_console_enabled = true.
 *   - `ctr task exec` of a writer that floods stdout and exits at once delivers every byte
 *     (the tail used to be lost: the agent closed the FIFO when the monitor exited);
 *   - `kata-runtime exec <sandbox>` reaches a shell in the guest (agent port 1026).
 */
const REPO = resolve(import.meta.dirname, '../../..');
const GUEST_KERNEL = /6\.1\.\d+-\d+-amd64/;
const ready = isRoot && existsSync(join(REPO, 'build/guest/kata-containers-initrd.img'));
const ID = 'agent-e2e';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(!ready)('kata sandbox through containerd: exec stdout and the debug console', () => {
  let dir: string;
  let prefix: string;
  let runDir: string;
  let containerd: PrivateContainerd | undefined;

  const ctr = (args: string[], timeoutMs = 120_000) => containerd!.ctr(args, { timeoutMs });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agent-e2e-'));
    prefix = join(dir, 'kata');
    runDir = join(dir, 'run');
    const run = async (file: string, args: string[]) => {
      const r = await runCommand(file, args, { cwd: REPO, timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
    };
    // Fresh bundles (the shim adds the console's kernel parameters); under the shared build lock.
    await run('flock', [join(tmpdir(), 'kata-ts-build.lock'), 'npm', 'run', '--silent', 'build', '-w', '@kata-ts/shim', '-w', '@kata-ts/proxy', '-w', '@kata-ts/kata-runtime']);
    await run(join(REPO, 'tools/install.sh'), ['--prefix', prefix]);
    const defaults = join(prefix, 'share/defaults/kata-containers/configuration.toml');
    const configPath = join(dir, 'config/configuration.toml');
    mkdirSync(join(dir, 'config'));
    writeFileSync(configPath, readFileSync(defaults, 'utf8').replace(/^debug_console_enabled = false$/m, 'debug_console_enabled = true'));
    containerd = await startContainerd({ dir: join(dir, 'containerd'), shimBinDir: join(prefix, 'bin'), kataConfigPath: configPath, env: { KATA_TS_RUN_DIR: runDir } });
    const image = await importBusyboxImage(containerd);
    const r = await ctr(['run', '-d', '--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath, image, ID, 'sleep', '600'], 300_000);
    if (r.code !== 0) throw new Error(`ctr run: ${r.stderr}\n${containerd.logTail(30)}`);
  }, 900_000);

  afterAll(async () => {
    if (containerd) {
      await containerd.removeContainers([ID]);
      await containerd.stop();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('delivers every byte of a fast exec stdout to ctr (16 MiB + a partial block, twice)', async () => {
    const size = 16 * 1024 * 1024 + 52_928;
    const made = await ctr(['task', 'exec', '--exec-id', 'mk', ID, 'sh', '-c', `head -c ${size} /dev/urandom > /tmp/data && sha256sum /tmp/data`]);
    expect(made.code, made.stderr).toBe(0);
    const guestSha = made.stdout.split(' ')[0];
    for (let i = 0; i < 2; i++) {
      // ctr's stdout goes to a file: the bytes as they arrived.
      const file = join(dir, `out${i}`);
      const args = ['--address', containerd!.address, '-n', 'default', 'task', 'exec', '--exec-id', `dd${i}`, ID, 'dd', 'if=/tmp/data', 'bs=65536'];
      const r = await runCommand('sh', ['-c', 'out=$1; shift; exec ctr "$@" > "$out"', 'sh', file, ...args], { env: containerd!.env, timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = readFileSync(file);
      expect({ run: i, length: out.length, sha: sha256(out) }).toEqual({ run: i, length: size, sha: guestSha });
    }
  }, 600_000);

  it('puts the debug console on the guest kernel command line and serves a shell for kata-runtime exec', async () => {
    const cmdline = await ctr(['task', 'exec', '--exec-id', 'cmdline', ID, 'cat', '/proc/cmdline']);
    expect(cmdline.stdout).toMatch(/(^| )agent\.debug_console agent\.debug_console_vport=1026( |$)/m);
    const r = await runCommand(join(prefix, 'bin/kata-runtime'), ['exec', '--run-dir', runDir, ID], {
      input: 'echo guest=$(uname -r); exit\n',
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`guest=${GUEST_KERNEL.source}`));
  }, 180_000);
});
