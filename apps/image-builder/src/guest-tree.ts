import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { GuestEntry } from './guest-entry';
import { ImageBuildError } from './image-build-error';
import { stripModuleSignature } from './module-signature';

/** Where things live in the guest; kata-init.c hard-codes the same paths. */
export const GUEST_NODE = '/usr/bin/node';
export const GUEST_AGENT_DIR = '/opt/kata-agent';
export const GUEST_CRUN = '/usr/bin/crun';
/** iproute2's ip: the agent configures the pod's interfaces, routes and neighbours with it. */
export const GUEST_IP = '/usr/bin/ip';
export const GUEST_MODULE_LIST = '/etc/kata-modules';

/** Every regular file under `dir`, relative paths, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out;
}

/** 0755 when the host file is executable by its owner, else 0644. */
export function hostMode(path: string): number {
  return statSync(path).mode & 0o100 ? 0o755 : 0o644;
}

/** The base of the guest tree: directories, console device, a root user, the PID 1. */
export function baseEntries(init: Buffer): GuestEntry[] {
  const dirs = ['proc', 'sys', 'dev', 'run', 'tmp', 'root', 'mnt', 'etc', 'var', 'usr/bin', 'usr/sbin'];
  return [
    ...dirs.map((path): GuestEntry => ({ type: 'dir', path, mode: path === 'tmp' ? 0o1777 : path === 'root' ? 0o700 : 0o755 })),
    // The kernel opens /dev/console for PID 1 before anything mounts devtmpfs.
    { type: 'char', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { type: 'char', path: 'dev/null', mode: 0o666, major: 1, minor: 3 },
    { type: 'file', path: 'init', mode: 0o755, data: init },
    { type: 'symlink', path: 'sbin/init', target: '/init' },
    { type: 'file', path: 'etc/passwd', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/nonexistent\nnobody:x:65534:65534:nobody:/nonexistent:/nonexistent\n') },
    { type: 'file', path: 'etc/group', mode: 0o644, data: Buffer.from('root:x:0:\ntty:x:5:\nnogroup:x:65534:\n') },
  ];
}

/** Host files copied to the same path in the guest (shared libraries), content of the symlink target. */
export function hostFileEntries(paths: Iterable<string>): GuestEntry[] {
  return [...paths].map((path) => ({ type: 'file', path, mode: hostMode(path), data: readFileSync(path) }));
}

/** Kernel modules (decompressed, unsigned) under /lib/modules/<release>/ and the list PID 1 loads in order. */
export function moduleEntries(modulesDir: string, release: string, order: readonly string[]): GuestEntry[] {
  const guestPaths: string[] = [];
  const entries: GuestEntry[] = order.map((rel) => {
    const guestPath = `lib/modules/${release}/${rel.replace(/\.(xz|zst|gz)$/, '')}`;
    guestPaths.push(`/${guestPath}`);
    return { type: 'file', path: guestPath, mode: 0o644, data: stripModuleSignature(decompressModule(join(modulesDir, rel))) };
  });
  entries.push({ type: 'file', path: GUEST_MODULE_LIST.slice(1), mode: 0o644, data: Buffer.from(guestPaths.map((p) => `${p}\n`).join('')) });
  return entries;
}

function decompressModule(path: string): Buffer {
  const data = readFileSync(path);
  if (path.endsWith('.gz')) return gunzipSync(data);
  const tool = path.endsWith('.xz') ? 'xz' : path.endsWith('.zst') ? 'zstd' : undefined;
  if (!tool) return data;
  const result = spawnSync(tool, ['-dcq'], { input: data, maxBuffer: 1 << 28 });
  if (result.error || result.status !== 0) throw new ImageBuildError('TOOL_MISSING', `cannot decompress ${path} with ${tool}: ${result.error?.message ?? result.stderr.toString()}`);
  return result.stdout;
}
