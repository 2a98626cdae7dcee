import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agent, health } from '@kata-ts/protocols';
import { Client, createClient, TtrpcError, type TypedClient } from '@kata-ts/ttrpc';
import { specToProto, type OciSpec } from '@kata-ts/oci';

export const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
export const isRoot = process.getuid?.() === 0;
export const hasCrun = (() => {
  try {
    execFileSync('crun', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A busybox rootfs: /bin/busybox plus one symlink per applet. */
export function buildRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'));
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', a));
  return rootfs;
}

/** The spec `ctr run` would send (containerd's defaults), for a busybox command. */
export function busyboxSpec(args: string[], overrides: Partial<OciSpec> = {}): OciSpec {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
  return {
    ociVersion: '1.0.2',
    process: {
      args,
      env: ['PATH=/bin', 'HOME=/root'],
      cwd: '/',
      user: { uid: 0, gid: 0 },
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
    ...overrides,
  };
}

export const toProto = specToProto;

export interface TestAgent {
  dir: string;
  /** The shared directory: `<shared>/<id>/rootfs` are container roots. */
  shared: string;
  root: string;
  child: ChildProcess;
  client: Client;
  agent: TypedClient<typeof agent.AgentServiceDefinition>;
  health: TypedClient<typeof health.HealthDefinition>;
  /** A rootfs for container `id` under the shared directory (a copy of the busybox tree). */
  rootfsFor(id: string): void;
  /** Mount points in the agent's mount namespace. */
  mounts(): string[];
  stop(): Promise<void>;
}

/**
 * Starts dist/kata-agent.mjs as root on a unix socket with a temp --root. On a hybrid cgroup
 * host whose cgroup2 mount has controllers (crun refuses those), it runs in a private mount
 * namespace without /sys/fs/cgroup/unified; crun then uses the v1 controllers.
 */
export async function startTestAgent(options: { listen?: string[]; args?: string[] } = {}): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-it-'));
  const shared = join(dir, 'shared');
  const root = join(dir, 'state');
  const socket = join(dir, 'agent.sock');
  const base = join(dir, 'busybox');
  buildRootfs(base);
  mkdirSync(shared);
  const agentCmd = ['node', join(DIST, 'kata-agent.mjs'), '--listen', `unix://${socket}`, ...(options.listen ?? []), ...(options.args ?? []), '--root', root, '--shared-dir', shared, '--log-level', process.env.AGENT_LOG ?? 'warn'];
  const script = 'if grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then umount /sys/fs/cgroup/unified; fi; exec "$@"';
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...agentCmd], {
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const client = await connectWhenListening(socket, child).catch((error: unknown) => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const stop = async () => {
    await client.close().catch(() => {});
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // Whatever survived a failed test: containers, then their monitors.
    try {
      const list = JSON.parse(execFileSync('crun', [`--root=${join(root, 'crun')}`, 'list', '--format=json'], { encoding: 'utf8' }) || '[]') as { id: string }[];
      for (const c of list) execFileSync('crun', [`--root=${join(root, 'crun')}`, 'delete', '--force', c.id], { stdio: 'ignore' });
    } catch {
      // no crun state left
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    dir,
    shared,
    root,
    child,
    client,
    agent: createClient(agent.AgentServiceDefinition, client),
    health: createClient(health.HealthDefinition, client),
    rootfsFor: (id) => {
      mkdirSync(join(shared, id));
      execFileSync('cp', ['-a', join(base, 'rootfs'), join(shared, id, 'rootfs')]);
    },
    mounts: () =>
      readFileSync(`/proc/${child.pid}/mountinfo`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[4]!),
    stop,
  };
}

/** The socket file exists from bind(), a moment before listen(): retry a refused connect. */
async function connectWhenListening(socket: string, child: ChildProcess): Promise<Client> {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 200) throw new Error(`agent did not start (exit ${child.exitCode})`);
    if (existsSync(socket)) {
      try {
        return await Client.connect(socket);
      } catch (error) {
        if (((error as Error).cause as NodeJS.ErrnoException | undefined)?.code !== 'ECONNREFUSED') throw error;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads a stream to EOF (the agent's OUT_OF_RANGE status). */
export async function readAll(read: (len: number) => Promise<{ data: Uint8Array }>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    try {
      parts.push(Buffer.from((await read(256 << 10)).data));
    } catch (error) {
      if (error instanceof TtrpcError && error.codeName === 'OUT_OF_RANGE') return Buffer.concat(parts);
      throw error;
    }
  }
}

/**
 * Shell prefix: waits until pid 1 of the (shared) pid namespace runs `sleep 100x`. crun start
 * returns once the init is released, which may be just before it execs.
 */
export const WAIT_FOR_PID1 = 'for i in $(seq 50); do ps -o pid,args | grep -q "^ *1 sleep 100" && break; sleep 0.1; done; ';

/** Creates container `id` from a busybox spec (rootfs in the share) and optionally starts it. */
export async function runContainer(
  a: TestAgent,
  id: string,
  args: string[],
  options: { spec?: Partial<OciSpec>; start?: boolean; sandboxPidns?: boolean; edit?: (s: OciSpec) => void } = {},
): Promise<void> {
  a.rootfsFor(id);
  const spec = busyboxSpec(args, options.spec);
  options.edit?.(spec);
  await a.agent.createContainer(agent.CreateContainerRequest.fromPartial({ containerId: id, execId: id, OCI: toProto(spec), sandboxPidns: options.sandboxPidns ?? false }));
  if (options.start ?? true) await a.agent.startContainer({ containerId: id });
}

/** stdout of a process to EOF. */
export function stdoutOf(a: TestAgent, containerId: string, execId = containerId): Promise<Buffer> {
  return readAll((len) => a.agent.readStdout({ containerId, execId, len }));
}

export function stderrOf(a: TestAgent, containerId: string, execId = containerId): Promise<Buffer> {
  return readAll((len) => a.agent.readStderr({ containerId, execId, len }));
}

/** The status code of a failed call (e.g. 'NOT_FOUND'), or 'OK'. */
export async function statusOf(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
    return { code: 'OK', message: '' };
  } catch (error) {
    if (error instanceof TtrpcError) return { code: error.codeName, message: error.message };
    throw error;
  }
}

/**
 * Pause check: after PauseContainer, reads until the output has been quiet for `quietMs`
 * (what was written before the freeze), and returns the read still pending: it must only
 * complete after ResumeContainer.
 */
export async function readUntilQuiet(read: () => Promise<{ data: Uint8Array }>, quietMs: number): Promise<{ pending: Promise<{ data: Uint8Array }> }> {
  for (;;) {
    const pending = read();
    const first = await Promise.race([pending.then(() => 'data'), new Promise((r) => setTimeout(() => r('quiet'), quietMs))]);
    // Wrapped: an async function returning a promise would wait for it.
    if (first === 'quiet') return { pending };
  }
}
