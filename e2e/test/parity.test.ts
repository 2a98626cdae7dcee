// Parity: one table of container programs, run under runc and under kata-ts on ONE containerd (ctr
// and CRI), comparing what the container observes and what its user sees. A difference kata-ts
// means to have is listed in its row with the reason; any other difference fails the row.
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cri, podSandboxConfig, type CriClient } from '@kata-ts/cri-client';
import { BUSYBOX_IMAGE, installKata, startContainerd, unmountUnder, type CriContainerd, type KataInstall } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone } from '../src/leaks';
import { containerStdout, startContainer, waitExited } from '../src/two-container-pod';

type Runtime = 'runc' | 'kata';
type Observation = Record<string, unknown>;

interface Row {
  name: string;
  observe(rt: Runtime): Promise<Observation>;
  /**
   * Fields that differ on purpose: what kata-ts shows instead (a value, an asymmetric matcher, or
   * a function of runc's value) and why. Every other field must be equal to runc's.
   */
  intended?: Record<string, { kata: unknown; reason: string }>;
}

const RUNTIMES: Runtime[] = ['runc', 'kata'];
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** The uint64 "no limit" of each cgroup version: v1's 2^63 - page size, v2's 2^64 - 1. */
const UNLIMITED = new Set(['9223372036854771712', '18446744073709551615']);
/**
 * Stdin sizes through `ctr task exec`: one byte, across the 64 KiB pipe and FIFO buffers, and big.
 * Not 0: ctr 1.6 then sends CloseIO before the exec starts and runc's exec waits forever too (an
 * empty stdin is the CRI row "reads EOF at once").
 */
const STDIN_SIZES = [1, 65_537, (1 << 20) + 7, 100_000_000];

let work: string;
let runDir: string;
let install: KataInstall;
let containerd: CriContainerd;
let client: CriClient;
const pods = {} as Record<Runtime, { podId: string; config: cri.PodSandboxConfig; image: string; sleeperId: string }>;
/** A `ctr run -d` container per runtime, for `ctr task exec` rows. */
const ctrIds: Record<Runtime, string> = { runc: 'parity-runc', kata: 'parity-kata' };
const table: { row: string; runc: string; kata: string; intended: string }[] = [];
let seq = 0;

const ctr = (args: string[], input?: Buffer) => containerd.ctr(args, { timeoutMs: 300_000, input });
const ctrRun = (rt: Runtime) => (rt === 'kata' ? ['run', '--runtime', 'io.containerd.kata.v2', '--runtime-config-path', install.configPath] : ['run']);

/** Runs `command` as a new CRI container of the runtime's pod until it exits; removes it. */
async function criRun(rt: Runtime, command: string[], options: { memoryLimitBytes?: number } = {}) {
  const id = await startContainer(client, pods[rt], `c${++seq}`, command, options);
  try {
    const status = await waitExited(client, id, 180_000).catch((err: Error) => {
      throw new Error(`${rt}: ${err.message}`);
    });
    return { exitCode: status.exitCode, reason: status.reason, stdout: containerStdout(status), stderr: containerStdout(status, 'stderr') };
  } finally {
    await client.runtime.removeContainer({ containerId: id });
  }
}

/** A script's stdout from ExecSync in the runtime pod's sleeper. */
async function execOut(rt: Runtime, script: string): Promise<string> {
  const r = await client.runtime.execSync({ containerId: pods[rt].sleeperId, cmd: ['sh', '-c', script], timeout: 60 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return r.stdout.toString();
}

/** /proc/self/mountinfo as mount point → fstype (the part after " - "). */
function mountTable(mountinfo: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of mountinfo.trim().split('\n')) {
    const [left, right] = line.split(' - ');
    out[left!.split(' ')[4]!] = right!.split(' ')[0]!;
  }
  return out;
}

const isMatcher = (v: unknown) => typeof v === 'object' && v !== null && 'asymmetricMatch' in v;

async function runningState(containerId: string): Promise<string> {
  const { status } = await client.runtime.containerStatus({ containerId });
  return status?.state === cri.ContainerState.CONTAINER_RUNNING ? 'running' : `exited ${status?.exitCode}`;
}

const ROWS: Row[] = [
  {
    name: 'CRI: stdout, stderr, exit code and reason',
    observe: (rt) => criRun(rt, ['sh', '-c', 'echo out; echo err >&2; exit 7']),
  },
  {
    name: 'CRI: a container without stdin (stdin: false) reads EOF at once',
    observe: (rt) => criRun(rt, ['sh', '-c', 'cat; echo "eof $?"']),
  },
  {
    name: 'CRI: /proc/self/status ids, capabilities, no_new_privs, seccomp; id',
    observe: async (rt) => ({
      status: await execOut(rt, 'grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs|Seccomp)" /proc/self/status'),
      id: await execOut(rt, 'id'),
    }),
  },
  {
    name: 'CRI: hostname of a pod’s container (the pod’s name)',
    observe: async (rt) => ({ hostnameIsThePods: (await execOut(rt, 'hostname')).trim() === pods[rt].config.hostname }),
  },
  {
    name: 'CRI: the pod network on eth0 (the pod’s address, the CNI’s MTU, the default route)',
    observe: async (rt) => {
      const { status } = await client.runtime.podSandboxStatus({ podSandboxId: pods[rt].podId });
      return {
        podAddress: (await execOut(rt, 'ip -4 -o addr show eth0')).includes(`inet ${status?.network?.ip}/`),
        mtu: (await execOut(rt, 'cat /sys/class/net/eth0/mtu')).trim(),
        defaultRoute: (await execOut(rt, 'ip route')).split('\n').find((l) => l.startsWith('default'))?.trim(),
      };
    },
  },
  {
    name: 'CRI: its own memory limit at the root of its cgroup mount; /proc/self/cgroup',
    observe: async (rt) => {
      const script = '[ -f /sys/fs/cgroup/memory.max ] && cat /sys/fs/cgroup/memory.max || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo ---; cat /proc/self/cgroup';
      const r = await criRun(rt, ['sh', '-c', script], { memoryLimitBytes: 64 << 20 });
      const [limit, cgroup] = r.stdout.split('---\n');
      return { exitCode: r.exitCode, limit: limit!.trim(), procSelfCgroup: cgroup!.trim().replace(/[0-9a-f]{64}/g, '<id>') };
    },
    intended: {
      procSelfCgroup: {
        kata: '0::/',
        reason: 'this host is cgroup v1, where containerd gives no cgroup namespace (paths show); the guest is v2 with a cgroup namespace per container, as runc on a v2 host',
      },
    },
  },
  {
    name: 'CRI: mounts (mount points and filesystem types), /dev',
    observe: async (rt) => {
      const mounts = mountTable(await execOut(rt, 'cat /proc/self/mountinfo'));
      const cgroupV1 = Object.keys(mounts).filter((m) => m.startsWith('/sys/fs/cgroup/'));
      const shared = ['/', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf'];
      const kernelFs = Object.fromEntries(Object.entries(mounts).filter(([m]) => !shared.includes(m) && !cgroupV1.includes(m)));
      return {
        kernelFs,
        hostFiles: Object.fromEntries(shared.map((m) => [m, mounts[m]])),
        cgroupV1Controllers: cgroupV1.length,
        dev: (await execOut(rt, 'ls /dev')).split('\n').filter(Boolean),
      };
    },
    intended: {
      hostFiles: {
        kata: { '/': '9p', '/etc/hostname': '9p', '/etc/hosts': '9p', '/etc/resolv.conf': '9p' },
        reason: 'the rootfs and the host files CRI binds reach the VM through the sandbox’s virtio-9p share',
      },
      cgroupV1Controllers: { kata: 0, reason: 'the guest is cgroup v2: one cgroup2 mount at /sys/fs/cgroup, no v1 controller mounts' },
      kernelFs: {
        kata: (runc: Record<string, string>) => ({ ...runc, '/sys/fs/cgroup': 'cgroup2' }),
        reason: '/sys/fs/cgroup is cgroup2 in the guest (tmpfs of v1 controllers on this host); every other kernel mount is the same',
      },
      dev: {
        kata: ['core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'],
        reason: 'crun (the guest’s OCI runtime) adds the /dev/core → /proc/kcore link runc does not',
      },
    },
  },
  {
    name: 'CRI: resource limits a spec does not set (ulimit -a)',
    observe: async (rt) => {
      const lines = (await execOut(rt, 'ulimit -a')).trim().split('\n');
      return Object.fromEntries(lines.map((l) => [l.replace(/\s+\(-\w\).*$/, '').trim(), l.replace(/^.*\(-\w\)\s+/, '')]));
    },
    intended: Object.fromEntries(
      ['open files', 'pending signals', 'max user processes'].map((k) => [
        k,
        { kata: expect.stringMatching(/^\d+$/), reason: 'unset rlimits are inherited: from containerd under runc, from the guest agent under kata-ts (as Kata); the last two scale with the (VM’s) memory' },
      ]),
    ),
  },
  {
    name: 'CRI ExecSync: stdout, stderr, exit code',
    observe: async (rt) => {
      const r = await client.runtime.execSync({ containerId: pods[rt].sleeperId, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], timeout: 60 });
      return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode };
    },
  },
  {
    name: 'CRI ExecSync of a binary that does not exist fails before containerd’s 60 s cleanup deadline; the container lives on',
    observe: async (rt) => {
      const err = (await client.runtime
        .execSync({ containerId: pods[rt].sleeperId, cmd: ['/no-such-binary'], timeout: 0 }, { timeoutMs: 45_000 })
        .then(() => new Error('succeeded'), (e: unknown) => e)) as Error;
      return { failed: /failed to start exec/.test(err.message), namesBinary: err.message.includes('/no-such-binary'), container: await runningState(pods[rt].sleeperId) };
    },
  },
  {
    // A limit above the VM's boot size: under runc the host holds it; a kata VM must grow to it.
    name: 'CRI: a container fills a memory limit larger than the VM’s default_memory',
    observe: (rt) => {
      const bootMiB = Number(/^default_memory = (\d+)$/m.exec(readFileSync(install.configPath, 'utf8'))?.[1]);
      // dd touches its whole block: more than a VM of bootMiB has free, less than the limit.
      const script = `dd if=/dev/zero of=/dev/null bs=${bootMiB}M count=1 2>/dev/null; echo "exit $?"`;
      return criRun(rt, ['sh', '-c', script], { memoryLimitBytes: (bootMiB + 512) * 2 ** 20 });
    },
  },
  {
    name: 'CRI OOM: /dev/shm filled past a 32 MiB limit',
    observe: (rt) => criRun(rt, ['sh', '-c', 'head -c 100000000 /dev/zero > /dev/shm/fill; echo "survived $?"'], { memoryLimitBytes: 32 << 20 }),
  },
  {
    name: 'CRI OOM: PID 1 holding 128 MiB against a 32 MiB limit',
    observe: (rt) => criRun(rt, ['sh', '-c', 'x=$(head -c 134217728 /dev/zero | tr "\\0" a); echo ${#x}'], { memoryLimitBytes: 32 << 20 }),
  },
  {
    name: 'CRI OOM: a child over a 32 MiB limit',
    observe: (rt) => criRun(rt, ['sh', '-c', 'tail /dev/zero; echo "survived $?"'], { memoryLimitBytes: 32 << 20 }),
    // runc on this cgroup v1 host kills the biggest process (tail); whether the shell then reports
    // it ("Killed"), survives (exit 0, "survived 137") or is killed next depends on the race.
    intended: Object.fromEntries(
      Object.entries({ exitCode: 137, stdout: '', stderr: '' }).map(([field, kata]) => [
        field,
        { kata, reason: 'the guest is cgroup v2, where kata-ts sets memory.oom.group as the kubelet does there: an OOM kill ends the whole container at once' },
      ]),
    ),
  },
  {
    name: 'CRI StopContainer: SIGTERM reaches a PID 1 with a handler',
    observe: async (rt) => {
      const id = await startContainer(client, pods[rt], `c${++seq}`, ['sh', '-c', 'trap "echo TERM; exit 0" TERM; touch /tmp/ready; sleep 600 & wait']);
      try {
        while ((await client.runtime.execSync({ containerId: id, cmd: ['test', '-e', '/tmp/ready'], timeout: 30 })).exitCode !== 0) await sleep(100);
        await client.runtime.stopContainer({ containerId: id, timeout: 30 });
        const status = await waitExited(client, id);
        return { exitCode: status.exitCode, reason: status.reason, stdout: containerStdout(status) };
      } finally {
        await client.runtime.removeContainer({ containerId: id });
      }
    },
  },
  {
    name: 'SIGTERM (ctr task kill) to a PID 1 without a handler',
    observe: async (rt) => {
      const id = await startContainer(client, pods[rt], `c${++seq}`, ['sleep', '600']);
      try {
        const kill = await ctr(['task', 'kill', '-s', 'TERM', id]);
        expect(kill.stderr).toBe('');
        // A bound, not a timing: runc's PID 1 never exits by itself; kata-ts's is killed at once.
        const deadline = Date.now() + 20_000;
        while ((await runningState(id)) === 'running' && Date.now() < deadline) await sleep(200);
        return { afterSigterm: await runningState(id) };
      } finally {
        await client.runtime.stopContainer({ containerId: id, timeout: 0 });
        await client.runtime.removeContainer({ containerId: id });
      }
    },
    intended: {
      afterSigterm: { kata: 'exited 137', reason: 'as Kata’s agent: a PID 1 that installed no SIGTERM handler would ignore it, so it gets SIGKILL' },
    },
  },
  {
    name: 'ctr task metrics: memory limit of a container without one',
    observe: async (rt) => {
      const r = await ctr(['task', 'metrics', ctrIds[rt]]);
      const value = /^memory\.(?:limit_in_bytes|usage_limit)\s+(\d+)/m.exec(r.stdout)?.[1] ?? r.stdout + r.stderr;
      return { memoryLimit: UNLIMITED.has(value) ? 'unlimited' : value };
    },
  },
  {
    name: 'ctr run: stdout, stderr, exit code, hostname (none in the spec), 3 MiB + 1234 bytes of stdin; ctr run --rootfs DIR (root.path)',
    observe: async (rt) => {
      const input = randomBytes((3 << 20) + 1234);
      // Side by side: under kata-ts each `ctr run` boots a VM.
      const [run, rootfs] = await Promise.all([
        ctr([...ctrRun(rt), '--rm', BUSYBOX_IMAGE, `parity-run-${rt}`, 'sh', '-c', 'sha256sum; hostname; echo err >&2; exit 3'], input),
        ctr([...ctrRun(rt), '--rm', '--rootfs', join(work, 'rootfs'), `parity-rootfs-${rt}`, '/bin/sh', '-c', 'ls /bin/busybox; echo hi']),
      ]);
      return {
        run: { stdout: run.stdout.replace(sha256(input), '<sha256 of stdin>'), stderr: run.stderr, code: run.code },
        rootfs: { stdout: rootfs.stdout, stderr: rootfs.stderr, code: rootfs.code },
      };
    },
  },
  {
    // kata-ts starts an exec itself (the monitor's exec plan), not through an OCI runtime.
    name: 'ctr task exec --user --cwd: ids, capabilities, no_new_privs, cwd, HOME, env, umask, limits, session',
    observe: async (rt) => {
      const script = [
        'grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs)" /proc/self/status; id; pwd; echo "HOME=$HOME"; env | sort; umask; ulimit -n',
        '[ "$(cut -d" " -f6 /proc/$$/stat)" = $$ ] && echo "session leader"; ls /proc/self/fd',
      ].join('; ');
      const r = await ctr(['task', 'exec', '--exec-id', 'identity', '--user', '1000:1000', '--cwd', '/tmp', ctrIds[rt], 'sh', '-c', script]);
      return { stdout: r.stdout, stderr: r.stderr, code: r.code };
    },
  },
  ...STDIN_SIZES.map(
    (size): Row => ({
      name: `ctr task exec: ${size} bytes of stdin arrive byte for byte`,
      observe: async (rt) => {
        const input = randomBytes(size);
        const r = await ctr(['task', 'exec', '--exec-id', `stdin-${size}`, ctrIds[rt], 'sh', '-c', 'sha256sum; echo done'], input);
        return { stdout: r.stdout.replace(sha256(input), '<sha256 of stdin>'), stderr: r.stderr, code: r.code };
      },
    }),
  ),
];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kata-ts-parity-'));
  runDir = mkdtempSync('/run/kte-');
  install = await installKata(join(work, 'prefix'));
  containerd = await startContainerd({ cri: { cni: true }, shimBinDir: install.binDir, kataConfigPath: install.configPath, env: { KATA_TS_RUN_DIR: runDir } });
  client = containerd.cri.client;
  // The image's files as a plain directory, for `ctr run --rootfs`.
  const mnt = join(work, 'mnt');
  mkdirSync(mnt);
  expect((await ctr(['image', 'mount', BUSYBOX_IMAGE, mnt])).code).toBe(0);
  cpSync(mnt, join(work, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  await ctr(['image', 'unmount', mnt]);
  // One pod and one `ctr run -d` container per runtime, shared by every row (a kata VM boots once).
  await Promise.all(
    RUNTIMES.map(async (rt) => {
      // Pod networks for both (a kata pod on the host's network is refused, as Kata refuses it).
      const config = podSandboxConfig({ name: `parity-${rt}`, logDirectory: containerd.cri.logDir, hostNetwork: false });
      const { podSandboxId: podId } = await client.runtime.runPodSandbox({ config, runtimeHandler: rt === 'kata' ? 'kata' : '' });
      const pod = { podId, config, image: BUSYBOX_IMAGE };
      pods[rt] = { ...pod, sleeperId: await startContainer(client, pod, 'sleeper', ['sleep', '3600']) };
      const r = await ctr([...ctrRun(rt), '-d', BUSYBOX_IMAGE, ctrIds[rt], 'sleep', '3600']);
      expect(r.code, r.stderr).toBe(0);
    }),
  );
}, 900_000);

afterAll(async () => {
  if (containerd) {
    for (const rt of RUNTIMES) if (pods[rt]) await client.runtime.removePodSandbox({ podSandboxId: pods[rt].podId }).catch(() => undefined);
    await containerd.removeContainers(Object.values(ctrIds));
    await containerd.stop();
  }
  unmountUnder(runDir);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  if (table.length) {
    console.log('\nparity table (runc vs kata-ts):');
    console.table(table);
  }
});

describe('parity: the same programs under runc and kata-ts, on one containerd', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      const [runc, kata] = await Promise.all(RUNTIMES.map((rt) => row.observe(rt)));
      table.push({ row: row.name, runc: JSON.stringify(runc), kata: JSON.stringify(kata), intended: Object.keys(row.intended ?? {}).join(', ') });
      const expected: Observation = { ...runc! };
      for (const [field, { kata: shown }] of Object.entries(row.intended ?? {})) {
        expected[field] = typeof shown === 'function' ? (shown as (r: unknown) => unknown)(runc![field]) : shown;
      }
      expect(kata).toEqual(expected);
      // A listed difference that is gone must leave the list (matchers may fit both: not checked).
      const listed = Object.keys(row.intended ?? {}).filter((f) => !isMatcher(expected[f]));
      if (listed.length) {
        const pick = (o: Observation) => Object.fromEntries(listed.map((f) => [f, o[f]]));
        expect(pick(runc!), `runc now shows what kata-ts does for ${listed.join(', ')}: drop them from the intended list`).not.toEqual(pick(expected));
      }
    }, 600_000);
  }

  it('stdin rows checked what was sent: runc saw every byte (the reference is right)', () => {
    const rows = table.filter((t) => t.row.includes('bytes of stdin'));
    expect(rows).toHaveLength(STDIN_SIZES.length + 1);
    for (const r of rows) expect(r.runc).toContain('<sha256 of stdin>');
  });

  it('StopPodSandbox + RemovePodSandbox and ctr delete leave nothing behind', async () => {
    for (const rt of RUNTIMES) {
      await client.runtime.stopPodSandbox({ podSandboxId: pods[rt].podId });
      await client.runtime.removePodSandbox({ podSandboxId: pods[rt].podId });
    }
    await containerd.removeContainers(Object.values(ctrIds));
    for (let i = 0; ; i++) {
      try {
        assertAllGone(containerd, [join(runDir, 'sandboxes')]);
        return;
      } catch (err) {
        if (i > 75) throw err;
        await sleep(200);
      }
    }
  }, 120_000);
});
