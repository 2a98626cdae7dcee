// Pods with the RuntimeClass handler `kata` when the installed configuration turns VM templating on
// ([factory] enable_template): the pod VMs resume from one template instead of booting, and still
// behave as their own machines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, findHarnessProcesses, installKata, runCommand, startContainerd, unmountUnder, type CriContainerd, type KataInstall } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone } from '../src/leaks';
import { containerStdout, runTwoContainerPod, waitExited } from '../src/two-container-pod';

const hostKernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();

let work: string;
let runDir: string;
let templatePath: string;
let configPath: string;
let install: KataInstall;
let containerd: CriContainerd | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kata-ts-e2e-template-'));
  runDir = mkdtempSync('/run/ktt-');
  templatePath = join(work, 'templates');
  install = await installKata(join(work, 'prefix'));
  configPath = join(work, 'configuration.toml');
  writeFileSync(
    configPath,
    readFileSync(install.configPath, 'utf8')
      .replace(/^enable_template = .*$/m, 'enable_template = true')
      .replace(/^template_path = .*$/m, `template_path = "${templatePath}"`),
  );
  containerd = await startContainerd({ cri: { cni: true }, shimBinDir: install.binDir, kataConfigPath: configPath, env: { KATA_TS_RUN_DIR: runDir } });
}, 900_000);

afterAll(async () => {
  await containerd?.stop();
  unmountUnder(runDir);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('CRI pods of RuntimeClass kata from a VM template', () => {
  it('two pods resume from one template, run in the guest kernel, keep their own identity and network, and leave only the template', async () => {
    const { cri: { client, logDir }, dir } = containerd!;
    const pods = [];
    for (const name of ['tpl-pod-1', 'tpl-pod-2']) pods.push(await runTwoContainerPod(client, { name, runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir, hostNetwork: false }));
    const [key, ...others] = readdirSync(templatePath);
    expect(others).toEqual([]);
    // Each pod's QEMU maps the template's memory (copy-on-write) rather than booting.
    const qemus = findHarnessProcesses(dir).filter((p) => p.comm.startsWith('qemu-system'));
    expect(qemus).toHaveLength(2);
    for (const q of qemus) expect(q.cmdline).toContain(`mem-path=${join(templatePath, key!, 'memory')},share=off`);

    const bootIds = [];
    for (const pod of pods) {
      const kernel = containerStdout(await waitExited(client, pod.unameId)).trim();
      expect(kernel).toMatch(/^6\.1\.\d+-\d+-amd64$/);
      expect(kernel).not.toBe(hostKernel);
      const exec = (cmd: string[]) => client.runtime.execSync({ containerId: pod.sleeperId, cmd, timeout: 60 });
      bootIds.push((await exec(['cat', '/proc/sys/kernel/random/boot_id'])).stdout.toString().trim());
      // The clock was set when the VM resumed, not left at the template's.
      const guestNow = Number((await exec(['date', '+%s'])).stdout.toString().trim());
      expect(Math.abs(guestNow - Date.now() / 1000)).toBeLessThan(5);
      // The template had no NIC: the pod's was hot-plugged after the resume, with the pod's address.
      const { status } = await client.runtime.podSandboxStatus({ podSandboxId: pod.podId });
      expect((await exec(['ip', '-4', '-o', 'addr', 'show', 'eth0'])).stdout.toString()).toContain(`inet ${status?.network?.ip}/24`);
    }
    expect(bootIds[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(bootIds[1]).not.toBe(bootIds[0]);

    for (const pod of pods) {
      await client.runtime.stopPodSandbox({ podSandboxId: pod.podId });
      await client.runtime.removePodSandbox({ podSandboxId: pod.podId });
    }
    assertAllGone(containerd!, [join(runDir, 'sandboxes')]);
    const destroy = await runCommand(join(install.binDir, 'kata-runtime'), ['--config', configPath, 'factory', 'destroy'], { timeoutMs: 30_000 });
    expect(destroy.code, destroy.stderr).toBe(0);
    expect(readdirSync(templatePath)).toEqual([]);
  }, 300_000);
});
