// Pods with the RuntimeClass handler `kata`: containerd's CRI plugin → containerd-shim-kata-v2 (one
// per pod) → QEMU → the guest agent, from an installed kata-ts prefix. A runc pod runs in the same
// containerd as the reference.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cri } from '@kata-ts/cri-client';
import { BUSYBOX_IMAGE, findHarnessProcesses, installKata, mountsUnder, startContainerd, unmountUnder, type CriContainerd, type HarnessProcess } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone, entries, shimSocketOf } from '../src/leaks';
import { containerLifecycleTests } from '../src/lifecycle-suite';
import { containerStdout, runTwoContainerPod, waitExited, type TwoContainerPod } from '../src/two-container-pod';

const hostKernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const timings: Record<string, { sandboxMs: number; startMs: number }> = {};

let work: string;
/** The shim's KATA_TS_RUN_DIR: short, because sandbox sockets live under it with a 64-hex pod id. */
let runDir: string;
let containerd: CriContainerd | undefined;
let pod: TwoContainerPod | undefined;

/** The pod the first test created; later tests fail with this message instead of a TypeError. */
function kataPod(): TwoContainerPod {
  if (!pod) throw new Error('the kata pod was not created: see the first test’s error');
  return pod;
}

const isShim = (p: HarnessProcess) => p.cmdline.includes('-namespace k8s.io');
const isQemu = (p: HarnessProcess) => p.comm.startsWith('qemu-system');
const isProxy = (p: HarnessProcess) => p.cmdline.includes('kata-proxy');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kata-ts-e2e-install-'));
  runDir = mkdtempSync('/run/kte-');
  const install = await installKata(join(work, 'prefix'));
  containerd = await startContainerd({ cri: { cni: true }, shimBinDir: install.binDir, kataConfigPath: install.configPath, env: { KATA_TS_RUN_DIR: runDir } });
}, 900_000);

afterAll(async () => {
  if (containerd && pod) await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: pod.podId }).catch(() => undefined);
  await containerd?.stop();
  unmountUnder(runDir);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
  if (Object.keys(timings).length) {
    console.log('\npod start, one run (ms):');
    console.table(
      Object.entries(timings).map(([handler, t]) => ({ handler, RunPodSandbox: Math.round(t.sandboxMs), 'to first container started': Math.round(t.startMs) })),
    );
  }
});

describe('CRI pod with RuntimeClass handler kata', () => {
  it('runs a sleeper and a uname container in ONE VM served by ONE shim', async () => {
    pod = await runTwoContainerPod(containerd!.cri.client, { name: 'kata-pod', runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir: containerd!.cri.logDir, hostNetwork: false });
    timings.kata = pod;
    const procs = findHarnessProcesses(containerd!.dir);
    expect(procs.filter(isQemu)).toHaveLength(1);
    expect(procs.filter(isShim)).toHaveLength(1);
    // No kata-proxy: the shim holds the VM's serial agent channel (the shipped configuration).
    expect(procs.filter(isProxy)).toHaveLength(0);
    expect((await containerd!.cri.client.runtime.podSandboxStatus({ podSandboxId: pod.podId })).status).toMatchObject({
      state: cri.PodSandboxState.SANDBOX_READY,
      runtimeHandler: 'kata',
    });
  });

  it('prints the guest kernel, not the host’s, and reports the exit code', async () => {
    const uname = await waitExited(containerd!.cri.client, kataPod().unameId);
    expect(uname).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const guestKernel = containerStdout(uname).trim();
    expect(guestKernel).toMatch(/^\d+\.\d+\.\d+/);
    expect(guestKernel).not.toBe(hostKernel);
    console.log(`kata pod: guest kernel ${guestKernel} (host ${hostKernel})`);
    // Both containers share that kernel: same VM.
    const exec = await containerd!.cri.client.runtime.execSync({ containerId: kataPod().sleeperId, cmd: ['uname', '-r'], timeout: 60 });
    expect(exec.stdout.toString().trim()).toBe(guestKernel);
  });

  it('ExecSync returns stdout, stderr and the exit code; the sleeper keeps running', async () => {
    const exec = await containerd!.cri.client.runtime.execSync({ containerId: kataPod().sleeperId, cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], timeout: 60 });
    expect({ stdout: exec.stdout.toString(), stderr: exec.stderr.toString(), exitCode: exec.exitCode }).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    expect((await containerd!.cri.client.runtime.containerStatus({ containerId: kataPod().sleeperId })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
  });

  it('the guest returns freed RAM: its virtio-balloon has free page reporting (shipped reclaim_guest_freed_memory = true)', async () => {
    const cmd = ['sh', '-c', 'cat /sys/bus/virtio/drivers/virtio_balloon/virtio*/features'];
    const exec = await containerd!.cri.client.runtime.execSync({ containerId: kataPod().sleeperId, cmd, timeout: 60 });
    // One device bound to the driver; the negotiated features' bit 5 is VIRTIO_BALLOON_F_REPORTING.
    expect(exec.stdout.toString().trim()).toMatch(/^[01]{5}1[01]*$/);
  });

  it("the guest's root is the shipped image on a DAX nvdimm: QEMU maps the installed file shared, read-only", async () => {
    const image = join(work, 'prefix/share/kata-containers/kata-containers.img');
    const [qemu, ...others] = findHarnessProcesses(containerd!.dir).filter(isQemu);
    expect(others).toHaveLength(0);
    // One mapping of the file, read-only and shared: the guest's root is the host's page cache of it.
    const maps = readFileSync(`/proc/${qemu!.pid}/maps`, 'utf8').split('\n').filter((l) => l.endsWith(` ${image}`));
    expect(maps.map((l) => l.split(/\s+/)[1])).toEqual(['r--s']);
    const run = async (cmd: string[]): Promise<string> =>
      (await containerd!.cri.client.runtime.execSync({ containerId: kataPod().sleeperId, cmd, timeout: 60 })).stdout.toString().trim();
    // The guest booted from it (kata-init mounts root= with DAX), and the pfn info block worked:
    // /dev/pmem0 is the filesystem after the image's 2 MiB header.
    expect((await run(['cat', '/proc/cmdline'])).split(' ')).toEqual(expect.arrayContaining(['root=/dev/pmem0', 'rootflags=dax']));
    expect(Number(await run(['cat', '/sys/block/pmem0/size'])) * 512).toBe(statSync(image).size - 2 * 1024 * 1024);
  });

  containerLifecycleTests(() => ({ client: containerd!.cri.client, pod: kataPod() }));

  it('a second kata pod gets its own VM and shim (different guest boot_id); removing it leaves the first', async () => {
    const { cri: { client, logDir }, dir } = containerd!;
    const other = await runTwoContainerPod(client, { name: 'kata-pod-2', runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir, hostNetwork: false });
    try {
      const procs = findHarnessProcesses(dir);
      expect(procs.filter(isQemu)).toHaveLength(2);
      expect(procs.filter(isShim)).toHaveLength(2);
      const bootId = async (containerId: string) =>
        (await client.runtime.execSync({ containerId, cmd: ['cat', '/proc/sys/kernel/random/boot_id'], timeout: 60 })).stdout.toString().trim();
      const [first, second] = [await bootId(kataPod().sleeperId), await bootId(other.sleeperId)];
      expect(first).toMatch(/^[0-9a-f-]{36}$/);
      expect(second).toMatch(/^[0-9a-f-]{36}$/);
      expect(second).not.toBe(first);
    } finally {
      await client.runtime.stopPodSandbox({ podSandboxId: other.podId });
      await client.runtime.removePodSandbox({ podSandboxId: other.podId });
    }
    expect(findHarnessProcesses(dir).filter(isQemu)).toHaveLength(1);
    expect((await client.runtime.containerStatus({ containerId: kataPod().sleeperId })).status?.state).toBe(cri.ContainerState.CONTAINER_RUNNING);
  });

  it('every container of the pod still runs in that one VM (one qemu, one shim)', () => {
    const procs = findHarnessProcesses(containerd!.dir);
    expect(procs.filter(isQemu)).toHaveLength(1);
    expect(procs.filter(isShim)).toHaveLength(1);
  });

  it('StopPodSandbox + RemovePodSandbox leave no qemu, shim, proxy, mount or state behind', async () => {
    const { podId, sleeperId } = kataPod();
    const shimSocket = shimSocketOf(containerd!.dir, podId);
    expect(existsSync(shimSocket)).toBe(true);
    await containerd!.cri.client.runtime.stopPodSandbox({ podSandboxId: podId });
    expect((await containerd!.cri.client.runtime.containerStatus({ containerId: sleeperId })).status?.state).toBe(cri.ContainerState.CONTAINER_EXITED);
    await containerd!.cri.client.runtime.removePodSandbox({ podSandboxId: podId });
    pod = undefined;
    await expect(containerd!.cri.client.runtime.podSandboxStatus({ podSandboxId: podId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    assertAllGone(containerd!, [join(runDir, 'sandboxes')]);
    expect(existsSync(shimSocket)).toBe(false);
    expect(mountsUnder(runDir)).toEqual([]);
    expect(entries(join(runDir, 'sandboxes'))).toEqual([]);
  });

  it('a runc pod in the same containerd (handler runc) as the reference', async () => {
    const ref = await runTwoContainerPod(containerd!.cri.client, { name: 'runc-ref', runtimeHandler: 'runc', image: BUSYBOX_IMAGE, logDir: containerd!.cri.logDir, hostNetwork: false });
    timings.runc = ref;
    try {
      expect(containerStdout(await waitExited(containerd!.cri.client, ref.unameId)).trim()).toBe(hostKernel);
      expect(findHarnessProcesses(containerd!.dir).filter(isQemu)).toEqual([]);
    } finally {
      await containerd!.cri.client.runtime.stopPodSandbox({ podSandboxId: ref.podId });
      await containerd!.cri.client.runtime.removePodSandbox({ podSandboxId: ref.podId });
    }
    assertAllGone(containerd!);
  });
});
