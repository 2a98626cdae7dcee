// kata-deploy through the real path, with the real host as the node: the bundled installer
// (apps/kata-deploy/dist) run as the DaemonSet runs it, against a private containerd started from
// a node config file of its own (never the machine's), restarted by the installer through a
// restart command; pods with handler kata through what it installed. Only the API server is a
// fake (a loopback HTTPS peer speaking the real node paths).
import { readFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { cri } from '@kata-ts/cri-client';
import {
  BUSYBOX_IMAGE,
  findHarnessProcesses,
  importImage,
  installKata,
  privateContainerdConfig,
  REPO_ROOT,
  runCommand,
  startContainerd,
  startFakeKubeApi,
  unmountUnder,
  type CriContainerd,
  type FakeKubeApi,
  type PrivateContainerd,
} from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone } from '../src/leaks';
import { containerStdout, runTwoContainerPod, waitExited, type TwoContainerPod } from '../src/two-container-pod';

const LABEL = 'katacontainers.io/kata-runtime';
const IMAGE = 'localhost/kata-ts/kata-deploy:0.1.0';
const BUNDLE = join(REPO_ROOT, 'apps/kata-deploy/dist/kata-deploy.mjs');

let work: string;
let node: string;
let artifacts: string;
let prefix: string;
let configFile: string;
let original: string;
let runDir: string;
let containerd: CriContainerd | undefined;
let restartServer: Server | undefined;
let api: FakeKubeApi | undefined;
let pod: TwoContainerPod | undefined;


/** The options every command gets: the node's paths, its containerd, the restart command, the API. */
function nodeArgs(hostRoot: string, restartCommand: string): string[] {
  return [
    '--host-root', hostRoot,
    '--prefix', prefix,
    '--containerd-config', configFile,
    '--containerd-address', containerd!.address,
    '--shim-link-dir', join(node, 'usr/local/bin'),
    '--restart-command', restartCommand,
    '--state-dir', join(node, 'var/lib/kata-deploy'),
    '--node-name', 'node-1',
    '--credentials-root', join(hostRoot, api!.credentialsRoot),
    '--wait-timeout', '60',
  ];
}

function deployArgs(command: string): string[] {
  const restart = `test "$(socat -u UNIX-CONNECT:${join(work, 'restart.sock')} STDOUT)" = restarted`;
  return [BUNDLE, command, '--artifacts', artifacts, ...nodeArgs('/', restart)];
}
const deployEnv = () => ({ ...process.env, ...api!.env, KATA_TS_LOG_LEVEL: 'info' });

/** One pino line per step: [step, msg]. */
function steps(stderr: string): Array<[string, string]> {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { step?: string; msg: string }).map((l) => [l.step ?? '', l.msg]);
}

async function deploy(command: string, extra: string[] = []) {
  const r = await runCommand('node', [...deployArgs(command), ...extra], { env: deployEnv(), timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`kata-deploy ${command} exited ${r.code}:\n${r.stderr}`);
  return steps(r.stderr);
}

/** Runs `install` and kills it with SIGKILL right after it logs `step`. */
async function installKilledAfter(step: string): Promise<void> {
  const child = spawn('node', [...deployArgs('install'), '--exit'], { env: deployEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes(`"step":"${step}"`)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`install ended (${code}) before step ${step}:\n${log}`))));
  });
}

async function handlers(): Promise<string[]> {
  const { info } = await containerd!.cri.client.runtime.status({ verbose: true });
  return Object.keys((JSON.parse(info.config ?? '{}') as { containerd: { runtimes: object } }).containerd.runtimes);
}

/** Files under a directory, recursively (relative). */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

function expectNodeClean(): void {
  expect(readFileSync(configFile, 'utf8')).toBe(original);
  expect(existsSync(prefix)).toBe(false);
  expect(existsSync(join(node, 'var'))).toBe(false);
  expect(readdirSync(node).sort()).toEqual(['containerd', 'etc']);
}

async function uname(p: TwoContainerPod): Promise<string> {
  const status = await waitExited(containerd!.cri.client, p.unameId);
  expect(status).toMatchObject({ exitCode: 0 });
  return containerStdout(status).trim();
}

async function removePod(): Promise<void> {
  if (pod) await containerd!.cri.client.runtime.removePodSandbox({ podSandboxId: pod.podId });
  pod = undefined;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kata-ts-e2e-deploy-'));
  artifacts = (await installKata(join(work, 'artifacts'), { fresh: true })).prefix;
  const built = await runCommand('flock', [join(tmpdir(), 'kata-ts-build.lock'), 'npm', 'run', '--silent', 'build', '-w', '@kata-ts/kata-deploy'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  if (built.code !== 0) throw new Error(`kata-deploy build failed:\n${built.stderr}`);
  node = join(work, 'node');
  prefix = join(node, 'opt/kata');
  configFile = join(node, 'etc/containerd/config.toml');
  mkdirSync(join(node, 'etc/containerd'), { recursive: true });
  const dir = join(node, 'containerd');
  original = `# This node's containerd config: kata-deploy must give it back byte for byte.\n${privateContainerdConfig(dir, { cri: { cni: true }, withoutKata: true, logLevel: 'info' })}`;
  writeFileSync(configFile, original);
  runDir = mkdtempSync('/run/kte-');
  // The node's containerd finds shims on its PATH, where kata-deploy links ours.
  containerd = await startContainerd({ cri: { cni: true }, dir, configFile, shimBinDir: join(node, 'usr/local/bin'), logLevel: 'info', env: { KATA_TS_RUN_DIR: runDir } });
  // The restart command connects here: the harness restarts its containerd, as systemd would.
  restartServer = createServer((sock) => {
    containerd!.restart().then(
      () => sock.end('restarted\n'),
      (err: Error) => sock.end(`failed: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve) => restartServer!.listen(join(work, 'restart.sock'), resolve));
  api = await startFakeKubeApi(['node-1']);
}, 900_000);

afterAll(async () => {
  await removePod().catch(() => undefined);
  await containerd?.stop();
  restartServer?.close();
  await api?.close();
  unmountUnder(runDir);
  rmSync(runDir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('kata-deploy on a node whose containerd reads its own config file', () => {
  it('install: checks the host, copies the artifacts, adds the kata runtime to the node config, restarts containerd until it lists kata, labels the node', async () => {
    expect(await handlers()).not.toContain('kata');
    const log = await deploy('install', ['--exit']);
    expect(log.map(([s]) => s).filter((s, i, a) => s && a.indexOf(s) === i)).toEqual(['host-check', 'record', 'artifacts', 'shim-link', 'containerd-config', 'restart', 'wait', 'label', 'done']);
    expect(log).toContainEqual(['restart', 'containerd restarted']);
    const config = readFileSync(configFile, 'utf8');
    expect(config.slice(0, original.length)).toBe(original);
    expect(config.slice(original.length)).toContain(`runtime_path = "${prefix}/bin/containerd-shim-kata-v2"`);
    expect(await handlers()).toEqual(expect.arrayContaining(['kata', 'runc']));
    expect(api!.labels('node-1')).toEqual({ [LABEL]: 'true' });
    // Nothing installed points back at the artifacts (the image's /opt/kata-artifacts).
    const r = await runCommand('grep', ['-rlI', artifacts, prefix]);
    expect(r.stdout).toBe('');
  });

  it('a CRI pod with handler kata runs from the installed prefix and prints the guest kernel', async () => {
    pod = await runTwoContainerPod(containerd!.cri.client, { name: 'deployed', runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir: containerd!.cri.logDir, hostNetwork: false });
    const guest = await uname(pod);
    expect(guest).toMatch(/^\d+\.\d+\.\d+/);
    expect(guest).not.toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    const shims = findHarnessProcesses(containerd!.dir).filter((p) => p.cmdline.includes('containerd-shim-kata-v2'));
    expect(shims).toHaveLength(1);
    expect(shims[0]!.cmdline).toContain(`${prefix}/bin/containerd-shim-kata-v2.mjs`);
  });

  it('install again changes nothing and does not restart containerd', async () => {
    const before = readFileSync(configFile, 'utf8');
    const pid = containerd!.pid;
    const log = await deploy('install', ['--exit']);
    expect(log).toContainEqual(['restart', 'containerd already lists runtime kata: no restart']);
    expect(log.find(([s]) => s === 'artifacts')?.[1]).toMatch(/: 0 written/);
    expect(readFileSync(configFile, 'utf8')).toBe(before);
    expect(containerd!.pid).toBe(pid);
  });

  it('an upgrade while the kata pod runs: the pod keeps running, the next pod uses the new artifacts', async () => {
    const shim = join(artifacts, 'bin/containerd-shim-kata-v2.mjs');
    writeFileSync(shim, `${readFileSync(shim, 'utf8')}\n// upgraded\n`);
    const qemuConfig = join(artifacts, 'share/defaults/kata-containers/configuration-qemu.toml');
    writeFileSync(qemuConfig, readFileSync(qemuConfig, 'utf8').replace(/^default_memory = \d+$/m, 'default_memory = 1024'));
    const log = await deploy('install', ['--exit']);
    expect(log.find(([s]) => s === 'artifacts')?.[1]).toMatch(/: 2 written/);
    expect(readFileSync(join(prefix, 'bin/containerd-shim-kata-v2.mjs'), 'utf8')).toContain('// upgraded');
    const exec = await containerd!.cri.client.runtime.execSync({ containerId: pod!.sleeperId, cmd: ['cat', '/proc/meminfo'], timeout: 60 });
    const oldMem = Number(/MemTotal:\s+(\d+)/.exec(exec.stdout.toString())![1]);
    expect((await containerd!.cri.client.runtime.podSandboxStatus({ podSandboxId: pod!.podId })).status?.state).toBe(cri.PodSandboxState.SANDBOX_READY);
    await removePod();
    pod = await runTwoContainerPod(containerd!.cri.client, { name: 'upgraded', runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir: containerd!.cri.logDir, hostNetwork: false });
    const exec2 = await containerd!.cri.client.runtime.execSync({ containerId: pod.sleeperId, cmd: ['cat', '/proc/meminfo'], timeout: 60 });
    const newMem = Number(/MemTotal:\s+(\d+)/.exec(exec2.stdout.toString())![1]);
    console.log(`guest MemTotal: ${oldMem} kB before the upgrade, ${newMem} kB after (default_memory 2048 -> 1024)`);
    expect(newMem).toBeLessThan(1024 * 1024);
    expect(oldMem).toBeGreaterThan(1024 * 1024);
    await removePod();
    assertAllGone(containerd!, [join(runDir, 'sandboxes')]);
  });

  it('cleanup on SIGTERM (the DaemonSet pod going away): config byte-identical, nothing left, label cleanup; reset removes the label', async () => {
    const child = spawn('node', deployArgs('install'), { env: deployEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (c: Buffer) => {
        log += c.toString();
        if (log.includes('cleanup on SIGTERM')) resolve();
      });
      child.on('exit', () => reject(new Error(`install exited:\n${log}`)));
    });
    // Still there, waiting (a process with nothing left to do would exit on its own).
    await new Promise((r) => setTimeout(r, 2000));
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(steps(log).map(([s]) => s)).toContain('done');
    expectNodeClean();
    expect(await handlers()).not.toContain('kata');
    expect(api!.labels('node-1')).toEqual({ [LABEL]: 'cleanup' });
    await deploy('reset', ['--exit']);
    expect(api!.labels('node-1')).toEqual({});
  });

  it.each(['record', 'artifacts', 'shim-link', 'containerd-config', 'restart'])('kill -9 right after step %s: install again works, cleanup then leaves the node as it was', async (step) => {
    await installKilledAfter(step);
    await deploy('install', ['--exit']);
    expect(await handlers()).toContain('kata');
    expect(readFileSync(configFile, 'utf8').startsWith(original)).toBe(true);
    await deploy('cleanup');
    expectNodeClean();
  });

  it('deploy -> cleanup -> deploy (#10167): the node runs kata pods again, and a last cleanup leaves it as it was', async () => {
    await deploy('install', ['--exit']);
    await deploy('cleanup');
    expectNodeClean();
    await deploy('install', ['--exit']);
    pod = await runTwoContainerPod(containerd!.cri.client, { name: 'redeployed', runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir: containerd!.cri.logDir, hostNetwork: false });
    expect(await uname(pod)).toMatch(/^\d+\.\d+\.\d+/);
    await removePod();
    await deploy('cleanup');
    expectNodeClean();
    expect(tree(join(node, 'etc'))).toEqual(['containerd', 'containerd/config.toml']);
    expect(statSync(configFile).mode & 0o777).toBe(0o644);
    assertAllGone(containerd!, [join(runDir, 'sandboxes')]);
  });
});

describe('the image, run with runc as the DaemonSet runs it (the node root at /host)', () => {
  let runner: PrivateContainerd | undefined;
  afterAll(async () => runner?.stop());

  /** `ctr run` of the image in the runner's containerd (the kubelet's stand-in), host network and the node's / at /host. */
  async function inImage(id: string, command: string, extra: string[] = []) {
    // The image has Node, not socat: the restart command asks the harness through its socket with node.
    const restart = `/usr/bin/node -e 'const s=require("net").connect(process.argv[1]);let d="";s.on("data",c=>d+=c);s.on("close",()=>process.exit(d.trim()==="restarted"?0:1))' /host${join(work, 'restart.sock')}`;
    const env = Object.entries(api!.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
    const r = await runner!.ctr(['run', '--rm', '--net-host', ...env, '--mount', 'type=rbind,src=/,dst=/host,options=rbind:rw', IMAGE, id, '/usr/bin/kata-deploy', command, ...extra, ...nodeArgs('/host', restart)], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`kata-deploy ${command} in the image exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return steps(r.stderr + r.stdout);
  }

  it('tools/build-deploy-image builds the same bytes twice, and ctr images import takes it', async () => {
    const tars = [join(work, 'image-1.tar'), join(work, 'image-2.tar')];
    for (const tar of tars) {
      const b = await runCommand(join(REPO_ROOT, 'tools/build-deploy-image'), [tar], { cwd: REPO_ROOT, timeoutMs: 900_000 });
      if (b.code !== 0) throw new Error(`tools/build-deploy-image failed:\n${b.stderr.slice(-3000)}`);
    }
    const [a, b] = tars.map((t) => readFileSync(t));
    expect(a!.equals(b!)).toBe(true);
    console.log(`kata-deploy image: ${(a!.length / 2 ** 20).toFixed(0)} MiB`);
    runner = await startContainerd();
    await importImage(runner, tars[0]!, IMAGE);
  }, 1_800_000);

  it('install from the image: containerd lists kata, a kata pod runs with the Node the image brought, cleanup leaves the node as it was', async () => {
    await inImage('kata-deploy-install', 'install', ['--exit']);
    expect(await handlers()).toContain('kata');
    expect(readFileSync(join(prefix, 'bin/containerd-shim-kata-v2'), 'utf8')).toContain(`'${prefix}/libexec/kata-ts/node'`);
    pod = await runTwoContainerPod(containerd!.cri.client, { name: 'from-image', runtimeHandler: 'kata', image: BUSYBOX_IMAGE, logDir: containerd!.cri.logDir, hostNetwork: false });
    expect(await uname(pod)).toMatch(/^\d+\.\d+\.\d+/);
    await removePod();
    await inImage('kata-deploy-cleanup', 'cleanup');
    expectNodeClean();
    expect(api!.labels('node-1')).toEqual({ [LABEL]: 'cleanup' });
    assertAllGone(containerd!, [join(runDir, 'sandboxes')]);
  }, 600_000);
});
