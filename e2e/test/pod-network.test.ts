// Pods with their own network namespace: the CRI plugin runs Debian's CNI bridge + host-local
// plugins; runc is the reference, kata the subject (same containerd).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, installKata, startContainerd, unmountUnder, type CriContainerd } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone } from '../src/leaks';
import { runTwoContainerPod, startContainer, type TwoContainerPod } from '../src/two-container-pod';

let work: string;
let runDir: string;
let containerd: CriContainerd;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kata-ts-e2e-net-'));
  runDir = mkdtempSync('/run/kte-');
  const install = await installKata(join(work, 'prefix'));
  containerd = await startContainerd({ cri: { cni: true }, shimBinDir: install.binDir, kataConfigPath: install.configPath, env: { KATA_TS_RUN_DIR: runDir } });
}, 900_000);

afterAll(async () => {
  const pods = containerd ? (await containerd.cri.client.runtime.listPodSandbox({})).items : [];
  for (const p of pods) await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
  await containerd?.stop();
  unmountUnder(runDir);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/** The pod's network namespace as the CRI plugin pinned it (from the verbose sandbox info). */
async function netnsPath(podId: string): Promise<string> {
  const { info } = await containerd.cri.client.runtime.podSandboxStatus({ podSandboxId: podId, verbose: true });
  const spec = JSON.parse(info.info ?? '{}').runtimeSpec;
  const ns = (spec?.linux?.namespaces ?? []).find((n: { type: string }) => n.type === 'network');
  return ns?.path ?? '';
}

const cases = [
  { handler: 'runc', gap: '' },
  { handler: 'kata', gap: 'the shim does not connect the pod’s network namespace to the VM: the guest has no eth0' },
];

describe.each(cases)('a $handler pod with its own network (CNI bridge)', ({ handler, gap }) => {
  let pod: TwoContainerPod | undefined;
  let ip = '';
  const known = (name: string) => `${name}${gap ? ` [KNOWN GAP: ${gap}]` : ''}`;
  const current = () => {
    if (!pod) throw new Error(`the ${handler} pod was not created: see the first test’s error`);
    return pod;
  };

  it('gets an address from the bridge network and a network namespace of its own', async () => {
    pod = await runTwoContainerPod(containerd.cri.client, { name: `net-${handler}`, runtimeHandler: handler, image: BUSYBOX_IMAGE, logDir: containerd.cri.logDir, hostNetwork: false });
    const { status } = await containerd.cri.client.runtime.podSandboxStatus({ podSandboxId: pod.podId });
    ip = status?.network?.ip ?? '';
    expect(ip.startsWith(containerd.cri.network!.prefix)).toBe(true);
    expect(existsSync(await netnsPath(pod.podId))).toBe(true);
  });

  (gap ? it.fails : it)(known('the address is on the container’s eth0'), async () => {
    const r = await containerd.cri.client.runtime.execSync({ containerId: current().sleeperId, cmd: ['ip', '-4', '-o', 'addr', 'show', 'eth0'], timeout: 30 });
    expect(r.stdout.toString()).toContain(`inet ${ip}/24`);
  });

  (gap ? it.fails : it)(known('the host reaches a server in the pod at that address'), async () => {
    const id = await startContainer(containerd.cri.client, current(), 'httpd', ['httpd', '-f', '-p', '8080', '-h', '/etc']);
    let body = '';
    for (let attempt = 0; attempt < 50 && !body; attempt++) {
      body = await fetch(`http://${ip}:8080/hostname`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text(), () => '');
      if (!body) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body.trim()).toBe(`net-${handler}`);
    await containerd.cri.client.runtime.stopContainer({ containerId: id, timeout: 0 });
  });

  it('RemovePodSandbox releases the network namespace and the address', async () => {
    const { podId } = current();
    const netns = await netnsPath(podId);
    await containerd.cri.client.runtime.stopPodSandbox({ podSandboxId: podId });
    await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: podId });
    pod = undefined;
    expect(existsSync(netns)).toBe(false);
    const leases = join(containerd.dir, 'cni-ipam/kata-ts-e2e');
    expect(existsSync(leases) ? readdirSync(leases) : []).not.toContain(ip);
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  });
});
