import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CniNetwork {
  /** The CRI plugin's `cni.conf_dir`. */
  confDir: string;
  /** The host bridge the pods' veths hang off (also their gateway). */
  bridge: string;
  /** e.g. `169.254.117.0/24` (link-local: nothing beyond this machine); pods get addresses from it. */
  subnet: string;
  /** `169.254.117.` */
  prefix: string;
  /** The bridge's own address, the pods' gateway (`<prefix>1`). */
  gateway: string;
  /** The MTU the bridge plugin gives the pods' interfaces (not the default 1500, so it shows). */
  mtu: number;
  /** Deletes the bridge (CNI DEL removes only the pods' veths and addresses). */
  remove(): void;
}

/**
 * A CNI config for pods with their own network namespace: Debian's `bridge` plugin (a per-run bridge
 * that is the gateway, no masquerading, so no iptables rules) with `host-local` addresses from a
 * random link-local 169.254.x/24, its lease files under `dir`, and MTU 1400.
 */
/** Where createCniNetwork(dir) writes the network's conflist (the CRI plugin's cni.conf_dir). */
export const cniConfDir = (dir: string): string => join(dir, 'cni');

export function createCniNetwork(dir: string): CniNetwork {
  const confDir = cniConfDir(dir);
  mkdirSync(confDir, { recursive: true });
  const bridge = `kts${randomBytes(3).toString('hex')}`;
  const prefix = `169.254.${randomInt(100, 200)}.`;
  const subnet = `${prefix}0/24`;
  const mtu = 1400;
  const conflist = {
    cniVersion: '0.4.0',
    name: 'kata-ts-e2e',
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        mtu,
        ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni-ipam') },
      },
    ],
  };
  writeFileSync(join(confDir, '10-kata-ts-e2e.conflist'), JSON.stringify(conflist, null, 2));
  return {
    confDir,
    bridge,
    subnet,
    prefix,
    gateway: `${prefix}1`,
    mtu,
    remove: () => {
      try {
        execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      } catch {
        // never created (no pod ran) or already gone
      }
    },
  };
}
