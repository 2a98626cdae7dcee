import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HARNESS_ENV, killHarnessProcesses } from './harness-processes';
import { unmountUnder } from './mounts-under';
import { runCommand, type CommandResult, type RunOptions } from './run-command';

export interface StartContainerdOptions {
  /** A private directory: root, state, sockets, config and log all live under it. */
  dir: string;
  /** Prepended to containerd's PATH so it finds `containerd-shim-kata-v2` there. */
  shimBinDir?: string;
  /** options.ConfigPath of the CRI runtime `kata` (io.containerd.kata.v2). */
  kataConfigPath?: string;
  /** Extra environment for containerd and so for every shim it starts. */
  env?: NodeJS.ProcessEnv;
  /** Enable the CRI plugin (off by default: it is not needed by `ctr` and wants CNI). */
  cri?: boolean;
  /** The CRI plugin's CNI config dir (plugins from Debian's /usr/lib/cni); default: the host's /etc/cni/net.d. */
  cniConfDir?: string;
  /** containerd log level (default debug: the log is the first thing to read when a test fails). */
  logLevel?: string;
}

export interface PrivateContainerd {
  dir: string;
  /** containerd's own pid (allowed by leak checks while it runs). */
  pid: number;
  /** The grpc socket (`ctr --address`); the shims' TTRPC_ADDRESS is this + `.ttrpc`. */
  address: string;
  logPath: string;
  /** The environment containerd runs with (shims inherit it). */
  env: NodeJS.ProcessEnv;
  /** `ctr --address <address> -n default <args>`; never throws on a non-zero exit. */
  ctr(args: string[], options?: RunOptions): Promise<CommandResult>;
  /** The tail of containerd's log (for failure messages). */
  logTail(lines?: number): string;
  /** Kills each container's task, deletes it and removes the container; what is gone is skipped. */
  removeContainers(ids: string[]): Promise<void>;
  /** Stops containerd and kills everything it started (shims, VMs, proxies), then unmounts under dir. */
  stop(): Promise<void>;
}

function containerdConfig(dir: string, options: StartContainerdOptions): string {
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
    `[${kata}]`,
    '  runtime_type = "io.containerd.kata.v2"',
    '  privileged_without_host_devices = true',
    '  pod_annotations = ["io.katacontainers.*"]',
    `[${kata}.options]`,
    `  ConfigPath = ${JSON.stringify(options.kataConfigPath ?? '')}`,
    // Naming any runtime replaces the CRI plugin's default runtimes map: keep its default handler.
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '  runtime_type = "io.containerd.runc.v2"',
    ...(options.cniConfDir
      ? ['[plugins."io.containerd.grpc.v1.cri".cni]', '  bin_dir = "/usr/lib/cni"', `  conf_dir = ${JSON.stringify(options.cniConfDir)}`]
      : []),
    '',
  ].join('\n');
}

/**
 * A containerd of our own (Debian's 1.6), isolated from the host's: its own root, state and
 * sockets under `dir`. Never touches /run/containerd or /var/lib/containerd (the shim socket
 * directory /run/containerd/s aside, which containerd's shims share by convention).
 */
export async function startContainerd(options: StartContainerdOptions): Promise<PrivateContainerd> {
  const dir = options.dir;
  mkdirSync(dir, { recursive: true });
  const address = join(dir, 'containerd.sock');
  const configPath = join(dir, 'containerd.toml');
  const logPath = join(dir, 'containerd.log');
  writeFileSync(configPath, containerdConfig(dir, options));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    [HARNESS_ENV]: dir,
    PATH: [options.shimBinDir, process.env.PATH].filter(Boolean).join(':'),
  };
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn('containerd', ['--config', configPath], { env, detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));

  const logTail = (lines = 40): string => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const ctr = (args: string[], runOptions: RunOptions = {}) =>
    runCommand('ctr', ['--address', address, '-n', 'default', ...args], { env, ...runOptions });

  const removeContainers = async (ids: string[]): Promise<void> => {
    for (const id of ids) {
      await ctr(['task', 'kill', '-s', 'KILL', id]);
      await ctr(['task', 'delete', '-f', id], { timeoutMs: 60_000 });
      await ctr(['container', 'rm', id]);
    }
  };

  const stop = async (): Promise<void> => {
    if (!exited && child.pid) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const deadline = Date.now() + 5_000;
      while (!exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    await killHarnessProcesses(dir);
    unmountUnder(dir);
    rmSync(address, { force: true });
    rmSync(`${address}.ttrpc`, { force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`containerd exited during startup:\n${logTail()}`);
    }
    const r = await ctr(['version'], { timeoutMs: 5_000 });
    if (r.code === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`containerd did not answer within 30 s:\n${r.stderr}\n${logTail()}`);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  return { dir, pid: child.pid!, address, logPath, env, ctr, logTail, removeContainers, stop };
}
