import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncArtifacts } from './artifacts';

let work: string;
let src: string;
let dest: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'kata-deploy-artifacts-'));
  src = join(work, 'artifacts');
  dest = join(work, 'host/opt/kata');
  mkdirSync(join(src, 'bin'), { recursive: true });
  mkdirSync(join(src, 'share/defaults/kata-containers'), { recursive: true });
  writeFileSync(join(src, 'bin/containerd-shim-kata-v2'), `#!/bin/sh\nexec '/usr/bin/node' '${src}/bin/containerd-shim-kata-v2.mjs' "$@"\n`, { mode: 0o755 });
  writeFileSync(join(src, 'bin/containerd-shim-kata-v2.mjs'), 'console.log(1)\n', { mode: 0o644 });
  writeFileSync(join(src, 'share/defaults/kata-containers/configuration-qemu.toml'), `kernel = "${src}/share/kata-containers/vmlinux.container"\n`);
  symlinkSync('configuration-qemu.toml', join(src, 'share/defaults/kata-containers/configuration.toml'));
  // A binary file that happens to hold the prefix: never rewritten.
  writeFileSync(join(src, 'share/kernel.bin'), Buffer.concat([Buffer.from(src), Buffer.from([0, 1, 2])]));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('syncArtifacts', () => {
  it('copies the tree, rewrites the artifacts path in text files to the node prefix, keeps modes and links', () => {
    const r = syncArtifacts(src, dest, { from: src, to: '/opt/kata' });
    expect(r.relocated.sort()).toEqual(['bin/containerd-shim-kata-v2', 'share/defaults/kata-containers/configuration-qemu.toml']);
    expect(readFileSync(join(dest, 'bin/containerd-shim-kata-v2'), 'utf8')).toBe(`#!/bin/sh\nexec '/usr/bin/node' '/opt/kata/bin/containerd-shim-kata-v2.mjs' "$@"\n`);
    expect(lstatSync(join(dest, 'bin/containerd-shim-kata-v2')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(dest, 'share/defaults/kata-containers/configuration.toml'))).toBe('configuration-qemu.toml');
    expect(readFileSync(join(dest, 'share/kernel.bin')).equals(readFileSync(join(src, 'share/kernel.bin')))).toBe(true);
  });

  it('a second run writes nothing; an upgrade writes what changed and removes what the new tree lacks', () => {
    syncArtifacts(src, dest, { from: src, to: '/opt/kata' });
    expect(syncArtifacts(src, dest, { from: src, to: '/opt/kata' })).toMatchObject({ written: [], removed: [] });
    writeFileSync(join(src, 'bin/containerd-shim-kata-v2.mjs'), 'console.log(2)\n');
    rmSync(join(src, 'share/kernel.bin'));
    writeFileSync(join(dest, 'bin/containerd-shim-kata-v2.kata-deploy-new'), 'half-written by a killed install');
    const r = syncArtifacts(src, dest, { from: src, to: '/opt/kata' });
    expect(r.written).toEqual(['bin/containerd-shim-kata-v2.mjs']);
    expect(r.removed.sort()).toEqual(['bin/containerd-shim-kata-v2.kata-deploy-new', 'share/kernel.bin']);
    expect(readFileSync(join(dest, 'bin/containerd-shim-kata-v2.mjs'), 'utf8')).toBe('console.log(2)\n');
  });

  it('replaces a binary that is running (no "Text file busy", Kata #5868); the running process keeps its old one', async () => {
    mkdirSync(join(dest, 'bin'), { recursive: true });
    const busy = join(dest, 'bin/busy');
    copyFileSync('/bin/sleep', busy);
    chmodSync(busy, 0o755);
    copyFileSync('/bin/true', join(src, 'bin/busy'));
    chmodSync(join(src, 'bin/busy'), 0o755);
    const running = spawn(busy, ['600'], { stdio: 'ignore' });
    await new Promise((resolve, reject) => running.once('spawn', resolve).once('error', reject));
    try {
      // What `cp` (Kata 3.x before `-u`) does: open the running binary for writing.
      expect(() => writeFileSync(busy, readFileSync('/bin/true'))).toThrow(expect.objectContaining({ code: 'ETXTBSY' }));
      const r = syncArtifacts(src, dest, { from: src, to: '/opt/kata' });
      expect(r.written).toContain('bin/busy');
      expect(readFileSync(busy).equals(readFileSync('/bin/true'))).toBe(true);
      expect(running.exitCode).toBeNull();
      expect(readlinkSync(`/proc/${running.pid}/exe`)).toBe(`${busy} (deleted)`);
    } finally {
      running.kill('SIGKILL');
    }
    expect(existsSync(`${busy}.kata-deploy-new`)).toBe(false);
  });
});
