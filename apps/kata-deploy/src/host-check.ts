import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'smol-toml';
import { CONFIGURATION, looksLikeArtifacts } from './artifacts';
import { containerdInfo } from './containerd-client';
import { findConfig, type FoundConfig } from './containerd-config';
import { DeployError } from './deploy-error';
import { onHost, type DeployOptions } from './options';
import { systemdUnit } from './restart';
import { checkShimLink, shimLink } from './shim-link';

/** As `kata-runtime check`: ok; fallback (works, slower: TCG instead of KVM); missing (cannot run). */
export interface CheckItem {
  id: string;
  status: 'ok' | 'fallback' | 'missing';
  detail: string;
}

export interface HostCheck {
  items: CheckItem[];
  /** The containerd config install will edit, understood (absent when it is not). */
  config?: FoundConfig;
}

const ok = (id: string, detail: string): CheckItem => ({ id, status: 'ok', detail });
const missing = (id: string, detail: string): CheckItem => ({ id, status: 'missing', detail });

/** containerd 1.6 and 1.7 read version 2 configs and `imports`: what the drop-in needs. */
const SUPPORTED_CONTAINERD = /^v?1\.[67]\./;

/** The nearest directory of `nodePath` that exists, as the installer reaches it. */
function nearestExisting(options: DeployOptions, nodePath: string): string {
  let p = onHost(options, nodePath);
  while (!existsSync(p)) p = dirname(p);
  return p;
}

function checkWritable(options: DeployOptions, nodePaths: string[]): CheckItem {
  for (const nodePath of nodePaths) {
    const dir = nearestExisting(options, nodePath);
    try {
      accessSync(dir, constants.W_OK);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'EROFS' ? 'read-only file system' : (err as Error).message;
      return missing('host-root', `${dir} (for ${nodePath}) is not writable: ${reason}`);
    }
  }
  return ok('host-root', `${options.hostRoot} writable where kata-deploy writes`);
}

function checkQemu(options: DeployOptions): CheckItem {
  const configuration = join(options.artifacts, CONFIGURATION);
  let qemu: string;
  try {
    const doc = parse(readFileSync(configuration, 'utf8')) as { hypervisor?: { qemu?: { path?: string } } };
    qemu = doc.hypervisor?.qemu?.path ?? '';
  } catch (err) {
    return missing('qemu', `${configuration}: ${(err as Error).message}`);
  }
  if (!qemu) return missing('qemu', `${configuration} names no hypervisor.qemu.path`);
  try {
    accessSync(onHost(options, qemu), constants.X_OK);
    return ok('qemu', `${qemu} on the node`);
  } catch {
    return missing('qemu', `${qemu} (hypervisor.qemu.path) is not an executable on the node: install QEMU there (Debian: qemu-system-x86)`);
  }
}

async function checkContainerd(options: DeployOptions): Promise<CheckItem> {
  const socket = onHost(options, options.containerdAddress);
  if (!existsSync(socket)) return missing('containerd', `no containerd socket at ${options.containerdAddress}: is containerd installed and running?`);
  try {
    const { version, handlers } = await containerdInfo(socket);
    if (!SUPPORTED_CONTAINERD.test(version)) return missing('containerd', `containerd ${version} at ${options.containerdAddress}: kata-deploy supports containerd 1.6 and 1.7`);
    return ok('containerd', `containerd ${version} at ${options.containerdAddress} answers (CRI runtimes: ${handlers.join(', ') || 'none'})`);
  } catch (err) {
    return missing('containerd', `containerd does not answer at ${options.containerdAddress} (${(err as Error).message.split('\n')[0]}): is it installed and running, with its CRI plugin?`);
  }
}

/**
 * Everything install needs, looked at before anything changes. Missing items stop install with
 * the host as it was; KVM absent is a fallback (QEMU under TCG), as `kata-runtime check` says.
 */
export async function hostCheck(options: DeployOptions): Promise<HostCheck> {
  const items: CheckItem[] = [];
  items.push(
    looksLikeArtifacts(options.artifacts)
      ? ok('artifacts', options.artifacts)
      : missing('artifacts', `${options.artifacts} holds no kata-ts install (bin/containerd-shim-kata-v2, ${CONFIGURATION})`),
  );
  let config: FoundConfig | undefined;
  try {
    config = findConfig(options);
    const found = config.original !== null ? `found (version ${config.version})` : config.start !== null ? `absent, made from ${config.flavour.base}` : 'absent: a version 2 config will be created';
    items.push(ok('containerd-config', `${config.flavour.config} (${config.flavour.name}): ${found}`));
  } catch (err) {
    if (!(err instanceof DeployError)) throw err;
    items.push(missing('containerd-config', err.message));
  }
  items.push(checkWritable(options, [options.prefix, options.stateDir, options.shimLinkDir, config?.flavour.config ?? '/etc/containerd']));
  const link = checkShimLink(options);
  items.push(link ? missing('shim-link', link) : ok('shim-link', `${shimLink(options).path} -> ${shimLink(options).target}`));
  items.push(await checkContainerd(options));
  items.push(
    existsSync(onHost(options, '/dev/kvm'))
      ? ok('kvm', '/dev/kvm present (the shim probes that a guest runs under it)')
      : { id: 'kvm', status: 'fallback', detail: 'no /dev/kvm on the node: QEMU uses TCG (software emulation, slower)' },
  );
  items.push(checkQemu(options));
  if (options.restartCommand) items.push(ok('restart', `restart command: ${options.restartCommand}`));
  else if (existsSync(onHost(options, '/run/systemd/system'))) items.push(ok('restart', `systemd unit ${systemdUnit(options, config?.flavour.units ?? ['containerd'])}`));
  else items.push(missing('restart', 'no systemd on the node (no /run/systemd/system) and no --restart-command: containerd cannot be restarted'));
  return { items, config };
}
