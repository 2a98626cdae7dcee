import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { google, packAny, runtimeoptions, task } from '@kata-ts/protocols';
import { findHarnessProcesses, HARNESS_ENV, killHarnessProcesses, mountsUnder, REPO_ROOT, runCommand, unmountUnder } from '@kata-ts/testing';
import { Client, Code, createClient, TtrpcError } from '@kata-ts/ttrpc';
import { shimSocketPath } from '../src/shim-address';

/** The built binary, run the way containerd runs it (cwd = bundle, its flags, options on stdin). */
const SHIM = join(REPO_ROOT, 'apps/shim/dist/containerd-shim-kata-v2.mjs');
let dir: string;
let env: NodeJS.ProcessEnv;
const address = () => join(dir, 'containerd.sock');

function bundle(id: string, annotations: Record<string, string> = {}): string {
  const path = join(dir, 'bundles', id);
  mkdirSync(join(path, 'rootfs'), { recursive: true });
  writeFileSync(join(path, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations }));
  return path;
}

function shim(args: string[], cwd: string, input: Buffer | string = '') {
  return runCommand(process.execPath, [SHIM, '-namespace', 'ns1', '-address', address(), '-publish-binary', '/bin/false', ...args], { cwd, env, input, timeoutMs: 30_000 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shim-cli-'));
  env = { ...process.env, [HARNESS_ENV]: dir, KATA_TS_RUN_DIR: join(dir, 'run') };
  if (!existsSync(SHIM)) await runCommand('npm', ['run', '--silent', 'build', '-w', '@kata-ts/shim'], { cwd: REPO_ROOT });
}, 60_000);

afterAll(async () => {
  await killHarnessProcesses(dir);
  unmountUnder(dir);
  rmSync(shimSocketPath(address(), 'ns1', 'pod1'), { force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('containerd-shim-kata-v2 start', () => {
  it('prints only the socket address, detaches the daemon, and groups a pod into one shim', async () => {
    const options = Buffer.from(google.Any.encode(packAny(runtimeoptions.Options, { typeUrl: '', configPath: '/x/configuration.toml', configBody: Buffer.alloc(0) })).finish());
    const sandbox = bundle('pod1', { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'pod1' });
    const first = await shim(['-id', 'pod1', 'start'], sandbox, options);
    const socket = shimSocketPath(address(), 'ns1', 'pod1');
    expect(first).toMatchObject({ code: 0, stderr: '', stdout: `unix://${socket}` });
    expect(readFileSync(join(sandbox, 'address'), 'utf8')).toBe(`unix://${socket}`);

    const daemons = findHarnessProcesses(dir);
    expect(daemons).toHaveLength(1);
    const sid = Number(readFileSync(`/proc/${daemons[0]!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
    expect(sid).toBe(daemons[0]!.pid); // its own session: containerd's pipes are not inherited

    const member = bundle('c2', { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'pod1' });
    const second = await shim(['-id', 'c2', 'start'], member);
    expect(second.stdout).toBe(`unix://${socket}`);
    expect(findHarnessProcesses(dir)).toHaveLength(1);

    const client = await Client.connect(socket);
    const tasks = createClient(task.TaskDefinition, client);
    await expect(tasks.state({ id: 'nope', execId: '' })).rejects.toSatisfy((e: unknown) => e instanceof TtrpcError && e.code === Code.NOT_FOUND);
    await expect(tasks.checkpoint({ id: 'pod1', path: '', options: undefined })).rejects.toSatisfy((e: unknown) => e instanceof TtrpcError && e.code === Code.UNIMPLEMENTED);
    await tasks.shutdown({ id: 'pod1', now: false });
    await client.close();
    for (let i = 0; i < 100 && findHarnessProcesses(dir).length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(findHarnessProcesses(dir)).toHaveLength(0);
    expect(existsSync(socket)).toBe(false);
  }, 60_000);

  it('answers -v and refuses unknown flags on stderr', async () => {
    const v = await shim(['-v'], dir);
    expect(v.stdout).toMatch(/^containerd-shim-kata-v2 \(kata-ts\) version /);
    const bad = await shim(['-frob', 'start'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/flag provided but not defined: -frob/);
  });
});

describe('containerd-shim-kata-v2 delete', () => {
  it('cleans up after a dead shim: kills its VM, proxy and the VM template it was making, unmounts, removes state and socket, prints DeleteResponse 137', async () => {
    const b = bundle('dead1');
    const sandboxDir = join(dir, 'run', 'sandboxes', 'dead1');
    mkdirSync(join(sandboxDir, 'shared', 'dead1', 'rootfs'), { recursive: true });
    // Stand-ins for QEMU and kata-proxy (their command lines name the sandbox's sockets), a pid
    // recorded once but now someone else's, a rootfs bind mount and the shim's socket, as a
    // SIGKILLed shim leaves them.
    const standIn = (argv0: string) => spawn('bash', ['-c', `exec -a '${argv0}' sleep 600`], { env, detached: true, stdio: 'ignore' });
    const vm = standIn(`qemu-system-x86_64 -qmp unix:${sandboxDir}/qmp.sock`);
    const proxy = standIn(`kata-proxy --listen ${sandboxDir}/proxy.sock`);
    const stranger = standIn('sleep');
    // The template QEMU of the first sandbox with enable_template names its work dir, not the sandbox's.
    const templateMaking = { work: join(dir, 'templates', `.key.${stranger.pid}`), lock: join(dir, 'templates', '.key.lock') };
    mkdirSync(templateMaking.work, { recursive: true });
    const templateVm = standIn(`qemu-system-x86_64 -qmp unix:${templateMaking.work}/qmp.sock`);
    writeFileSync(join(templateMaking.work, 'qemu.pid'), String(templateVm.pid));
    writeFileSync(templateMaking.lock, String(stranger.pid));
    await new Promise((r) => setTimeout(r, 200));
    await runCommand('mount', ['--bind', join(dir, 'bundles'), join(b, 'rootfs')]);
    await runCommand('mount', ['--bind', join(b, 'rootfs'), join(sandboxDir, 'shared', 'dead1', 'rootfs')]);
    writeFileSync(join(sandboxDir, 'state.json'), JSON.stringify({ sandboxId: 'dead1', shimPid: stranger.pid, vmPid: vm.pid, proxyPid: proxy.pid, containers: { dead1: b }, templateMaking }));
    const socket = shimSocketPath(address(), 'ns1', 'dead1');
    writeFileSync(socket, '');
    expect(mountsUnder(dir)).toHaveLength(2);

    // stdout is binary protobuf: read it as bytes (execFileSync throws on a non-zero exit).
    const stdout = execFileSync(process.execPath, [SHIM, '-namespace', 'ns1', '-address', address(), '-publish-binary', '/bin/false', '-id', 'dead1', '-bundle', b, 'delete'], { cwd: b, env });
    const response = task.DeleteResponse.decode(stdout);
    expect(response.exitStatus).toBe(137);
    expect(response.exitedAt!.seconds).toBeGreaterThan(0);
    expect(mountsUnder(dir)).toEqual([]);
    expect(existsSync(sandboxDir)).toBe(false);
    expect(existsSync(socket)).toBe(false);
    expect([existsSync(templateMaking.work), existsSync(templateMaking.lock)]).toEqual([false, false]);
    expect(findHarnessProcesses(dir).map((p) => p.pid)).toEqual([stranger.pid]);
    stranger.kill('SIGKILL');
  }, 30_000);
});
