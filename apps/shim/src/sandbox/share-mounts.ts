import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InvalidArgumentError } from '@kata-ts/errors';
import type { OciMount } from '@kata-ts/oci';
import { GUEST_SHARED_DIR } from '@kata-ts/guest-contract';
import { mount } from './mount-table';

const isBind = (m: OciMount) => m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
/** Guest-side kernel filesystems: a bind of these means the guest's own, never the host's. */
const GUEST_LOCAL = /^\/(dev|proc|sys)(\/|$)/;

/**
 * The host files and directories a container binds (CRI's /etc/hosts, resolv.conf, hostname,
 * volumes) do not exist in the guest: bind each into the 9p share under
 * `<shared>/<id>/mounts/<n>-<name>` (read-only on the host side too when the mount is ro) and point
 * the mount at the guest path, as Kata does. /dev/shm becomes a tmpfs of the container's own.
 */
export async function shareContainerMounts(shared: string, containerId: string, mounts: OciMount[]): Promise<OciMount[]> {
  const out: OciMount[] = [];
  for (const [i, m] of mounts.entries()) {
    if (m.destination === '/dev/shm' && isBind(m)) {
      out.push({ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] });
      continue;
    }
    if (!isBind(m) || !m.source || GUEST_LOCAL.test(m.source)) {
      out.push(m);
      continue;
    }
    let isDir: boolean;
    try {
      isDir = statSync(m.source).isDirectory();
    } catch {
      throw new InvalidArgumentError(`mounts[${i}] (${m.destination}): source ${m.source} does not exist on the host`);
    }
    const name = `${i}-${basename(m.source)}`;
    const hostTarget = join(shared, containerId, 'mounts', name);
    mkdirSync(join(shared, containerId, 'mounts'), { recursive: true });
    if (isDir) mkdirSync(hostTarget, { recursive: true });
    else writeFileSync(hostTarget, '');
    await mount('bind', m.source, hostTarget, ['rbind']);
    if ((m.options ?? []).includes('ro')) await mount('bind', hostTarget, hostTarget, ['remount', 'bind', 'ro']);
    out.push({ ...m, source: `${GUEST_SHARED_DIR}/${containerId}/mounts/${name}` });
  }
  return out;
}
