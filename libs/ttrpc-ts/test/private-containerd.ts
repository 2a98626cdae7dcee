import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PrivateContainerd {
  dir: string;
  /** containerd's gRPC socket (for `ctr --address`). */
  address: string;
  /** containerd's ttrpc socket (`<address>.ttrpc`): the events service shims publish to. */
  ttrpcAddress: string;
  /** containerd's own log so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's containerd with its own root, state, sockets and config in a temp dir; never
 * touches /run/containerd or /var/lib/containerd. Resolves once the ttrpc socket exists.
 */
export interface PrivateContainerdOptions {
  timeoutMs?: number;
  /** Extra environment for containerd and the shims it runs (e.g. a PATH holding a test shim). */
  env?: NodeJS.ProcessEnv;
}

export async function startPrivateContainerd(options: PrivateContainerdOptions = {}): Promise<PrivateContainerd> {
  const dir = mkdtempSync(join(tmpdir(), 'kata-ts-containerd-'));
  const address = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",',
      '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]',
      '[grpc]',
      `  address = "${address}"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${dir}/opt"`,
      '',
    ].join('\n'),
  );
  const logPath = join(dir, 'containerd.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn('containerd', ['--config', config, '--log-level', 'debug'], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, ...options.env },
  });
  closeSync(logFd);
  const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
  const instance: PrivateContainerd = { dir, address, ttrpcAddress: `${address}.ttrpc`, log, stop: () => stop(child, dir) };

  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (!existsSync(instance.ttrpcAddress)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const output = log();
      await instance.stop();
      throw new Error(`private containerd did not start (exit ${child.exitCode}):\n${output.slice(-3000)}`);
    }
    await sleep(50);
  }
  return instance;
}

/** Kills a detached child's whole process group: TERM, then KILL if it lingers. */
export async function killGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), sig);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  await killGroup(child);
  rmSync(dir, { recursive: true, force: true });
}
