// Pods with their own network namespace: the CRI plugin runs Debian's CNI bridge + host-local
// plugins on a link-local subnet of this machine; runc is the reference, kata the subject (same
// containerd). Nothing here talks to an address beyond this machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cri, podSandboxConfig } from '@kata-ts/cri-client';
import { BUSYBOX_IMAGE, installKata, runCommand, startContainerd, unmountUnder, type CommandResult, type CriContainerd } from '@kata-ts/testing';
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

const network = () => containerd.cri.network!;
const leases = () => {
  const dir = join(containerd.dir, 'cni-ipam/kata-ts-e2e');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(network().prefix)) : [];
};
/** What the shim could leave in the host's own namespace: links (taps, veths) and qdiscs. */
const hostNetworkState = () => ({
  links: execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .flatMap((l) => l.split(':')[1]?.trim().split('@')[0] ?? [])
    .sort(),
  qdiscs: execFileSync('tc', ['qdisc', 'show'], { encoding: 'utf8' }),
});

/** The pod's network namespace as the CRI plugin pinned it (from the verbose sandbox info). */
async function netnsPath(podId: string): Promise<string> {
  const { info } = await containerd.cri.client.runtime.podSandboxStatus({ podSandboxId: podId, verbose: true });
  const spec = JSON.parse(info.info ?? '{}').runtimeSpec;
  const ns = (spec?.linux?.namespaces ?? []).find((n: { type: string }) => n.type === 'network');
  return ns?.path ?? '';
}

async function podIp(podId: string): Promise<string> {
  const { status } = await containerd.cri.client.runtime.podSandboxStatus({ podSandboxId: podId });
  return status?.network?.ip ?? '';
}

async function execIn(containerId: string, cmd: string[]): Promise<string> {
  const r = await containerd.cri.client.runtime.execSync({ containerId, cmd, timeout: 30 });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(' ')}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** httpd in its own container of the pod, serving the pod's /etc (so /hostname names the pod). */
async function startHttpd(pod: TwoContainerPod): Promise<string> {
  return startContainer(containerd.cri.client, pod, 'httpd', ['httpd', '-f', '-p', '8080', '-h', '/etc']);
}

/** GETs `url` from the host, retrying while the server comes up. */
async function fetchText(url: string): Promise<string> {
  let body = '';
  for (let attempt = 0; attempt < 50 && !body; attempt++) {
    body = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text(), () => '');
    if (!body) await new Promise((r) => setTimeout(r, 200));
  }
  return body.trim();
}

/**
 * GETs `path` from `ip:port` inside a container, retrying while the server comes up; the body.
 * busybox nc speaks the HTTP (Debian's static busybox wget crashes on any URL, host included).
 */
async function httpGetFrom(containerId: string, ip: string, port: number, path: string): Promise<string> {
  const script = `for i in $(seq 1 25); do printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${ip} ${port} && exit 0; sleep 0.2; done; exit 1`;
  return httpBody(await execIn(containerId, ['sh', '-c', script]));
}

const httpBody = (response: string): string => response.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim();

async function removePod(podId: string): Promise<void> {
  await containerd.cri.client.runtime.stopPodSandbox({ podSandboxId: podId });
  await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: podId });
}

describe.each(['runc', 'kata'])('a %s pod with its own network (CNI bridge)', (handler) => {
  let pod: TwoContainerPod | undefined;
  let ip = '';
  const current = () => {
    if (!pod) throw new Error(`the ${handler} pod was not created: see the first test’s error`);
    return pod;
  };

  it('gets an address from the bridge network and a network namespace of its own', async () => {
    pod = await runTwoContainerPod(containerd.cri.client, { name: `net-${handler}`, runtimeHandler: handler, image: BUSYBOX_IMAGE, logDir: containerd.cri.logDir, hostNetwork: false });
    ip = await podIp(pod.podId);
    expect(ip.startsWith(network().prefix)).toBe(true);
    expect(existsSync(await netnsPath(pod.podId))).toBe(true);
  });

  it('the container’s eth0 has that address, the CNI’s MTU and its default route', async () => {
    const { sleeperId } = current();
    expect(await execIn(sleeperId, ['ip', '-4', '-o', 'addr', 'show', 'eth0'])).toContain(`inet ${ip}/24`);
    expect((await execIn(sleeperId, ['cat', '/sys/class/net/eth0/mtu'])).trim()).toBe(String(network().mtu));
    expect(await execIn(sleeperId, ['ip', 'route'])).toMatch(new RegExp(`^default via ${network().gateway.replace(/\./g, '\\.')} dev eth0`, 'm'));
  });

  it('the host reaches a server in the pod at that address, and the pod’s other containers share its network', async () => {
    await startHttpd(current());
    expect(await fetchText(`http://${ip}:8080/hostname`)).toBe(`net-${handler}`);
    // One network per pod: the sleeper container reaches the httpd container on localhost.
    expect(await httpGetFrom(current().sleeperId, '127.0.0.1', 8080, '/hostname')).toBe(`net-${handler}`);
  });

  it('RemovePodSandbox releases the network namespace and the address, and leaves nothing', async () => {
    const { podId } = current();
    const netns = await netnsPath(podId);
    await removePod(podId);
    pod = undefined;
    expect(existsSync(netns)).toBe(false);
    expect(leases()).not.toContain(ip);
    expect(hostNetworkState().links.filter((l) => l.endsWith('_kata'))).toEqual([]);
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  });
});

describe('pods reach each other across the bridge', () => {
  const pods: Record<string, TwoContainerPod & { ip: string }> = {};

  beforeAll(async () => {
    for (const [name, handler] of [['kata-a', 'kata'], ['kata-b', 'kata'], ['runc-c', 'runc']] as const) {
      const pod = await runTwoContainerPod(containerd.cri.client, { name, runtimeHandler: handler, image: BUSYBOX_IMAGE, logDir: containerd.cri.logDir, hostNetwork: false });
      await startHttpd(pod);
      pods[name] = { ...pod, ip: await podIp(pod.podId) };
    }
  }, 300_000);

  afterAll(async () => {
    for (const pod of Object.values(pods)) await removePod(pod.podId).catch(() => undefined);
  });

  it.each([
    ['kata-a', 'kata-b'],
    ['kata-b', 'kata-a'],
    ['kata-a', 'runc-c'],
    ['runc-c', 'kata-a'],
  ])('%s reaches %s', async (from, to) => {
    expect(await httpGetFrom(pods[from]!.sleeperId, pods[to]!.ip, 8080, '/hostname')).toBe(to);
  });
});

describe('ctr run with a network', () => {
  const id = `ctr-cni-${randomBytes(3).toString('hex')}`;
  let server: Server | undefined;

  afterAll(async () => {
    server?.close();
    await containerd.removeContainers([id]);
  });

  /** ctr runs CNI itself, from /etc/cni/net.d: a private mount namespace shows it the test's config there. */
  function ctrWithCni(args: string[]): Promise<CommandResult> {
    const script = `mount --bind "$1" /etc/cni/net.d && shift && exec ctr "$@"`;
    const argv = ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', network().confDir, '--address', containerd.address, '-n', containerd.namespace, ...args];
    return runCommand('unshare', argv, { env: containerd.env, timeoutMs: 240_000 });
  }

  it('ctr run --cni: the kata container gets the address CNI gave its task and reaches the host; --rm releases it', async () => {
    // The usual place (absent on a machine that never had CNI); ctr sees the test's config there only.
    execFileSync('mkdir', ['-p', '/etc/cni/net.d']);
    if (!hostNetworkState().links.includes(network().bridge)) {
      // The bridge plugin makes it on its first ADD; the host server needs its address before that.
      execFileSync('sh', ['-c', `ip link add name ${network().bridge} type bridge && ip addr add ${network().gateway}/24 dev ${network().bridge} && ip link set ${network().bridge} up`]);
    }
    server = createServer((_req, res) => res.end('pong from the host\n'));
    await new Promise<void>((resolve) => server!.listen(0, network().gateway, resolve));
    const port = (server.address() as { port: number }).port;
    const before = leases();
    const r = await ctrWithCni([
      'run', '--rm', '--cni', '--runtime', 'io.containerd.kata.v2', BUSYBOX_IMAGE, id,
      'sh', '-c', `ip -4 -o addr show eth0; cat /sys/class/net/eth0/mtu; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 10 ${network().gateway} ${port}`,
    ]);
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: '', stdout: expect.any(String) });
    expect(r.stdout).toMatch(new RegExp(`inet ${network().prefix.replace(/\./g, '\\.')}\\d+/24`));
    expect(r.stdout).toContain(`\n${network().mtu}\n`);
    expect(r.stdout).toContain('pong from the host');
    expect(leases()).toEqual(before);
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  });
});

describe('a network namespace the VM cannot be given', () => {
  const names: string[] = [];
  const ids: string[] = [];

  afterAll(async () => {
    await containerd.removeContainers(ids);
    for (const n of names) spawnSync('ip', ['netns', 'del', n]);
  });

  const netns = (setup: (name: string) => void = () => undefined): string => {
    const name = `kts-e2e-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', name]);
    names.push(name);
    setup(name);
    return `/run/netns/${name}`;
  };

  it.each([
    ['does not exist', () => '/run/netns/kts-e2e-absent', (path: string) => `network namespace ${path} does not exist`],
    ['holds nothing but lo', () => netns(), (path: string) => `network namespace ${path} has no interface to connect to the VM (only lo)`],
    ['holds an interface type a tap cannot mirror', () => netns((n) => execFileSync('ip', ['-n', n, 'link', 'add', 'br9', 'type', 'bridge'])), (path: string) => `interface br9 in network namespace ${path} is a bridge device`],
  ])('a namespace that %s: a clear error and nothing left', async (_what, make, message) => {
    const path = make();
    const id = `badns-${randomBytes(3).toString('hex')}`;
    ids.push(id);
    const r = await containerd.ctr(['run', '--rm', '--with-ns', `network:${path}`, '--runtime', 'io.containerd.kata.v2', BUSYBOX_IMAGE, id, 'true'], { timeoutMs: 120_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message(path));
    await containerd.removeContainers([id]);
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  });
});

describe('a kata pod on the host’s network', () => {
  const refusal = "the pod uses the host's network (hostNetwork: true, ctr run --net-host): a VM cannot share the host's network namespace";

  it('RunPodSandbox with hostNetwork is refused, saying why, and leaves nothing', async () => {
    const config = podSandboxConfig({ name: 'host-net-kata', logDirectory: containerd.cri.logDir, hostNetwork: true });
    await expect(containerd.cri.client.runtime.runPodSandbox({ config, runtimeHandler: 'kata' })).rejects.toThrow(refusal);
    const pods = (await containerd.cri.client.runtime.listPodSandbox({})).items;
    expect(pods.filter((p) => p.metadata?.name === 'host-net-kata' && p.state === cri.PodSandboxState.SANDBOX_READY)).toEqual([]);
    for (const p of pods) await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: p.id });
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  });

  it('ctr run --net-host is refused the same way', async () => {
    const id = `host-net-${randomBytes(3).toString('hex')}`;
    const r = await containerd.ctr(['run', '--rm', '--net-host', '--runtime', 'io.containerd.kata.v2', BUSYBOX_IMAGE, id, 'true'], { timeoutMs: 120_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(refusal);
    await containerd.removeContainers([id]);
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  });
});

describe('20 kata pods with a network, created and removed in a row', () => {
  it('leave the host’s links, qdiscs and the CNI leases as they were', async () => {
    const runPod = async (i: number) => {
      const config = podSandboxConfig({ name: `churn-${i}`, logDirectory: containerd.cri.logDir, hostNetwork: false });
      const { podSandboxId } = await containerd.cri.client.runtime.runPodSandbox({ config, runtimeHandler: 'kata' });
      const { status } = await containerd.cri.client.runtime.podSandboxStatus({ podSandboxId });
      expect(status?.state).toBe(cri.PodSandboxState.SANDBOX_READY);
      await removePod(podSandboxId);
    };
    await runPod(0); // the bridge exists from the first pod on
    const before = { ...hostNetworkState(), leases: leases() };
    for (let i = 1; i < 20; i++) await runPod(i);
    expect({ ...hostNetworkState(), leases: leases() }).toEqual(before);
    assertAllGone(containerd, [join(runDir, 'sandboxes')]);
  }, 900_000);
});
