// install's refusals: with something required missing or not understood, a clear error naming it
// and the node root left exactly as it was (no file, directory or mode changed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@kata-ts/logging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeployError } from './deploy-error';
import { install } from './install';
import { DEFAULTS, type RunContext } from './options';

let work: string;
let root: string;
let artifacts: string;

/** Every path under `dir` with its mode and content: what "left as it was" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const st = statSync(join(dir, rel));
    out[rel] = `${st.mode.toString(8)} ${st.isFile() ? readFileSync(join(dir, rel), 'utf8') : ''}`;
  }
  return out;
}

function context(overrides: Partial<RunContext['options']> = {}): RunContext {
  return {
    options: { ...DEFAULTS, hostRoot: root, artifacts, containerdAddress: '/run/containerd/containerd.sock', restartCommand: 'true', waitTimeoutMs: 1000, ...overrides },
    log: createLogger({ name: 'kata-deploy-test', destination: join(work, 'log.jsonl') }),
    label: false,
  };
}

async function refusal(ctx: RunContext): Promise<DeployError> {
  const before = snapshot(root);
  const err = await install(ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeployError);
  expect((err as DeployError).code).toBe('HOST_CHECK');
  expect((err as DeployError).message).toContain('nothing was changed');
  expect(snapshot(root)).toEqual(before);
  return err as DeployError;
}

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'kata-deploy-install-'));
  root = join(work, 'node');
  artifacts = join(work, 'artifacts');
  mkdirSync(join(artifacts, 'bin'), { recursive: true });
  mkdirSync(join(artifacts, 'share/defaults/kata-containers'), { recursive: true });
  writeFileSync(join(artifacts, 'bin/containerd-shim-kata-v2'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(artifacts, 'share/defaults/kata-containers/configuration-qemu.toml'), '[hypervisor.qemu]\npath = "/usr/bin/qemu-system-x86_64"\n');
  mkdirSync(join(root, 'etc/containerd'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/qemu-system-x86_64'), '#!/bin/sh\n', { mode: 0o755 });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('install refuses and changes nothing', () => {
  it('no containerd answering', async () => {
    writeFileSync(join(root, 'etc/containerd/config.toml'), 'version = 2\n');
    const err = await refusal(context());
    expect(err.message).toMatch(/containerd: no containerd socket at \/run\/containerd\/containerd.sock: is containerd installed and running\?/);
  });

  it('a containerd config with a TOML error', async () => {
    writeFileSync(join(root, 'etc/containerd/config.toml'), 'version = 2\n[grpc\n');
    expect((await refusal(context())).message).toMatch(/containerd-config: \/etc\/containerd\/config.toml is not valid TOML \(line 2/);
  });

  it('an unknown containerd config version', async () => {
    writeFileSync(join(root, 'etc/containerd/config.toml'), 'version = 7\n');
    expect((await refusal(context())).message).toMatch(/config version 7, which kata-deploy does not know/);
  });

  it('no QEMU on the node, and artifacts that are not a kata-ts install', async () => {
    rmSync(join(root, 'usr/bin/qemu-system-x86_64'));
    expect((await refusal(context())).message).toMatch(/qemu: \/usr\/bin\/qemu-system-x86_64 \(hypervisor.qemu.path\) is not an executable on the node/);
    expect((await refusal(context({ artifacts: join(work, 'nothing') }))).message).toMatch(/artifacts: .*nothing holds no kata-ts install/);
  });

  it('a read-only node root', async () => {
    const ro = join(work, 'ro');
    mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'kata-deploy-test', ro]);
    try {
      mkdirSync(join(ro, 'etc/containerd'), { recursive: true });
      writeFileSync(join(ro, 'etc/containerd/config.toml'), 'version = 2\n');
      execFileSync('mount', ['-o', 'remount,ro', ro]);
      root = ro;
      expect((await refusal(context())).message).toMatch(/host-root: .*ro \(for \/opt\/kata\) is not writable: read-only file system/);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});
