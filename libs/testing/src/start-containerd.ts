import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '@kata-ts/cri-client';
import { importBusyboxImage, importImage } from './busybox-image';
import { cniConfDir, createCniNetwork, type CniNetwork } from './cni-network';
import { HARNESS_ENV, killHarnessProcesses } from './harness-processes';
import { unmountUnder } from './mounts-under';
import { buildPauseImage, PAUSE_IMAGE } from './pause-image';
import { runCommand, type CommandResult, type RunOptions } from './run-command';

/** The containerd namespace the CRI plugin keeps its images, pods and containers in. */
export const CRI_NAMESPACE = 'k8s.io';

export interface CriOptions {
  /** Give pods without host networking a CNI bridge network (see createCniNetwork); else pods must use the host's. */
  cni?: boolean;
}

export interface StartContainerdOptions {
  /** A private directory: root, state, sockets, config and log all live under it (default: a temp dir stop() removes). */
  dir?: string;
  /** Prepended to containerd's PATH so it finds `containerd-shim-kata-v2` there. */
  shimBinDir?: string;
  /** options.ConfigPath of the CRI runtime `kata` (io.containerd.kata.v2). */
  kataConfigPath?: string;
  /** Extra environment for containerd and so for every shim it starts. */
  env?: NodeJS.ProcessEnv;
  /**
   * The CRI plugin on (off by default: `ctr` does not need it and it wants CNI), runtime handlers
   * `runc` (the default) and `kata`; `ctr` then works in its namespace k8s.io, where the busybox
   * and pause images are imported, and `cri` holds a connected client.
   */
  cri?: CriOptions;
  /** containerd log level (default debug: the log is the first thing to read when a test fails). */
  logLevel?: string;
  /**
   * Start from this config file, which the caller owns (a node's config.toml under test), instead
   * of writing `<dir>/containerd.toml`; it must keep root, state and sockets under `dir`, as
   * privateContainerdConfig's text does.
   */
  configFile?: string;
  /** Leave the `kata` runtime out of the written config (it comes from an imported drop-in instead). */
  withoutKata?: boolean;
}

export interface PrivateContainerd {
  dir: string;
  /** The namespace `ctr` works in: `default`, or CRI_NAMESPACE with the CRI plugin on. */
  namespace: string;
  /** containerd's own pid (allowed by leak checks while it runs). */
  pid: number;
  /** The grpc socket (`ctr --address`); the shims' TTRPC_ADDRESS is this + `.ttrpc`. */
  address: string;
  logPath: string;
  /** The environment containerd runs with (shims inherit it). */
  env: NodeJS.ProcessEnv;
  /** `ctr --address <address> -n <namespace> <args>`; never throws on a non-zero exit. */
  ctr(args: string[], options?: RunOptions): Promise<CommandResult>;
  /** The tail of containerd's log (for failure messages). */
  logTail(lines?: number): string;
  /** Kills each container's task, deletes it and removes the container; what is gone is skipped. */
  removeContainers(ids: string[]): Promise<void>;
  /** Stops containerd (SIGTERM, its shims and VMs keep running) and starts it again from its config file, as `systemctl restart containerd` does. */
  restart(): Promise<void>;
  /** Stops containerd and kills everything it started (shims, VMs, proxies), then unmounts under dir. */
  stop(): Promise<void>;
}

/** What a containerd started with `cri` adds. */
export interface CriPlugin {
  client: CriClient;
  /** Pods write their container logs under here (PodSandboxConfig.logDirectory). */
  logDir: string;
  /** Present with `cni: true`. */
  network?: CniNetwork;
}

/** A PrivateContainerd started with `cri`. */
export type CriContainerd = PrivateContainerd & { cri: CriPlugin };

/** The config startContainerd writes for `dir` (root, state and sockets under it). */
export function privateContainerdConfig(dir: string, options: StartContainerdOptions = {}): string {
  const cniDir = options.cri?.cni ? cniConfDir(dir) : undefined;
  const disabled = ['io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper', 'io.containerd.snapshotter.v1.aufs'];
  if (!options.cri) disabled.push('io.containerd.grpc.v1.cri');
  const kata = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata';
  return [
    'version = 2',
    `root = ${JSON.stringify(join(dir, 'root'))}`,
    `state = ${JSON.stringify(join(dir, 'state'))}`,
    `disabled_plugins = ${JSON.stringify(disabled)}`,
    '[grpc]',
    `  address = ${JSON.stringify(join(dir, 'containerd.sock'))}`,
    '[debug]',
    `  level = ${JSON.stringify(options.logLevel ?? 'debug')}`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${JSON.stringify(join(dir, 'opt'))}`,
    // CRI sets oom_score_adj -998 on pause containers; a harness (or a nested machine) may not lower
    // it below its own value, so clamp to containerd's (used only when `cri` is on).
    '[plugins."io.containerd.grpc.v1.cri"]',
    '  restrict_oom_score_adj = true',
    ...(options.withoutKata
      ? []
      : [
          `[${kata}]`,
          '  runtime_type = "io.containerd.kata.v2"',
          '  privileged_without_host_devices = true',
          '  pod_annotations = ["io.katacontainers.*"]',
          `[${kata}.options]`,
          `  ConfigPath = ${JSON.stringify(options.kataConfigPath ?? '')}`,
        ]),
    // Naming any runtime replaces the CRI plugin's default runtimes map: keep its default handler.
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '  runtime_type = "io.containerd.runc.v2"',
    // Plugins from Debian's containernetworking-plugins; without `cni`, the host's /etc/cni/net.d.
    ...(cniDir ? ['[plugins."io.containerd.grpc.v1.cri".cni]', '  bin_dir = "/usr/lib/cni"', `  conf_dir = ${JSON.stringify(cniDir)}`] : []),
    '',
  ].join('\n');
}

/**
 * A containerd of our own (Debian's 1.6), isolated from the host's: its own root, state and
 * sockets under `dir`. Never touches /run/containerd or /var/lib/containerd (the shim socket
 * directory /run/containerd/s aside, which containerd's shims share by convention).
 */
export function startContainerd(options: StartContainerdOptions & { cri: CriOptions }): Promise<CriContainerd>;
export function startContainerd(options?: StartContainerdOptions): Promise<PrivateContainerd>;
export async function startContainerd(options: StartContainerdOptions = {}): Promise<PrivateContainerd & { cri?: CriPlugin }> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kata-ts-containerd-'));
  mkdirSync(dir, { recursive: true });
  const address = join(dir, 'containerd.sock');
  const configPath = options.configFile ?? join(dir, 'containerd.toml');
  const logPath = join(dir, 'containerd.log');
  const namespace = options.cri ? CRI_NAMESPACE : 'default';
  const network = options.cri?.cni ? createCniNetwork(dir) : undefined;
  if (!options.configFile) writeFileSync(configPath, privateContainerdConfig(dir, options));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    [HARNESS_ENV]: dir,
    PATH: [options.shimBinDir, process.env.PATH].filter(Boolean).join(':'),
  };
  let child: ChildProcess;
  let exited = false;
  const spawnContainerd = (): void => {
    const logFd = openSync(logPath, 'a');
    try {
      child = spawn('containerd', ['--config', configPath], { env, detached: true, stdio: ['ignore', logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    exited = false;
    child.on('exit', () => (exited = true));
    child.on('error', () => (exited = true));
  };
  spawnContainerd();
  let client: CriClient | undefined;

  const logTail = (lines = 40): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const ctr = (args: string[], runOptions: RunOptions = {}) =>
    runCommand('ctr', ['--address', address, '-n', namespace, ...args], { env, ...runOptions });

  const removeContainers = async (ids: string[]): Promise<void> => {
    for (const id of ids) {
      await ctr(['task', 'kill', '-s', 'KILL', id]);
      await ctr(['task', 'delete', '-f', id], { timeoutMs: 60_000 });
      await ctr(['container', 'rm', id]);
    }
  };

  const terminate = async (): Promise<void> => {
    if (!exited && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const deadline = Date.now() + 5_000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
    client?.close();
    await terminate();
    await killHarnessProcesses(dir);
    unmountUnder(dir);
    rmSync(address, { force: true });
    rmSync(`${address}.ttrpc`, { force: true });
    network?.remove();
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  };

  const waitAnswering = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`containerd exited during startup:\n${logTail()}`);
      const r = await ctr(['version'], { timeoutMs: 5_000 });
      if (r.code === 0) return;
      if (Date.now() > deadline) throw new Error(`containerd did not answer within 30 s:\n${r.stderr}\n${logTail()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  const restart = async (): Promise<void> => {
    await terminate();
    if (!exited) throw new Error(`containerd ${child.pid} did not stop on SIGTERM within 5 s`);
    spawnContainerd();
    await waitAnswering();
  };

  try {
    await waitAnswering();
  } catch (err) {
    await stop();
    throw err;
  }
  const containerd: PrivateContainerd = {
    dir,
    namespace,
    get pid() {
      return child.pid!;
    },
    address,
    logPath,
    env,
    ctr,
    logTail,
    removeContainers,
    restart,
    stop,
  };
  if (!options.cri) return containerd;
  try {
    // No registry is reachable: the pod sandbox image is built locally too.
    await importBusyboxImage(containerd);
    await importImage(containerd, buildPauseImage(), PAUSE_IMAGE);
    client = await CriClient.connect(address);
  } catch (err) {
    await stop();
    throw err;
  }
  const logDir = join(dir, 'pods');
  mkdirSync(logDir, { recursive: true });
  return Object.assign(containerd, { cri: { client, logDir, network } });
}
