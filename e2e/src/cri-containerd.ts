import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '@kata-ts/cri-client';
import { buildBusyboxImage, BUSYBOX_IMAGE, runCommand, startContainerd, type PrivateContainerd } from '@kata-ts/testing';
import { createCniNetwork, type CniNetwork } from './cni-network';
import { buildPauseImage, PAUSE_IMAGE } from './pause-image';

/** The containerd namespace the CRI plugin keeps its images, pods and containers in. */
export const CRI_NAMESPACE = 'k8s.io';

export interface CriContainerdOptions {
  /** Directory holding `containerd-shim-kata-v2` (put first on containerd's PATH). */
  shimBinDir?: string;
  /** options.ConfigPath of the `kata` runtime handler. */
  kataConfigPath?: string;
  /** Extra environment for containerd and the shims it starts (e.g. KATA_TS_RUN_DIR). */
  env?: NodeJS.ProcessEnv;
  /** Give pods without host networking a CNI bridge network (see createCniNetwork). */
  cni?: boolean;
}

export interface CriContainerd {
  dir: string;
  containerd: PrivateContainerd;
  client: CriClient;
  /** Pods write their container logs under here. */
  logDir: string;
  busyboxImage: string;
  /** Present with `cni: true`. */
  network?: CniNetwork;
  /** `ctr -n k8s.io <args>` against this containerd. */
  ctr(args: string[]): ReturnType<typeof runCommand>;
  stop(): Promise<void>;
}

/**
 * A private containerd with the CRI plugin on (runtime handlers `runc`, the default, and `kata`),
 * the busybox and pause images imported into k8s.io, and a connected CriClient. Pods must use
 * host networking: no CNI plugin is installed, so the CRI plugin reports NetworkReady=false.
 */
export async function startCriContainerd(options: CriContainerdOptions = {}): Promise<CriContainerd> {
  const dir = mkdtempSync(join(tmpdir(), 'kata-ts-e2e-'));
  const logDir = join(dir, 'pods');
  mkdirSync(logDir);
  const network = options.cni ? createCniNetwork(dir) : undefined;
  let containerd: PrivateContainerd | undefined;
  let client: CriClient | undefined;
  try {
    containerd = await startContainerd({
      dir,
      cri: true,
      shimBinDir: options.shimBinDir,
      kataConfigPath: options.kataConfigPath,
      env: options.env,
      cniConfDir: network?.confDir,
    });
    const address = containerd.address;
    const env = containerd.env;
    const ctr = (args: string[]) => runCommand('ctr', ['--address', address, '-n', CRI_NAMESPACE, ...args], { env });
    for (const tar of [buildBusyboxImage(), buildPauseImage()]) {
      const r = await ctr(['image', 'import', tar]);
      if (r.code !== 0) throw new Error(`ctr -n ${CRI_NAMESPACE} image import ${tar} failed: ${r.stderr}`);
    }
    client = await CriClient.connect(address);
    const started = containerd;
    const connected = client;
    return {
      dir,
      containerd,
      client,
      logDir,
      busyboxImage: BUSYBOX_IMAGE,
      network,
      ctr,
      stop: async () => {
        connected.close();
        await started.stop();
        network?.remove();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    client?.close();
    await containerd?.stop();
    network?.remove();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export { PAUSE_IMAGE };
