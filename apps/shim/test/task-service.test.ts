import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { eventsService, OCI_LINUX_RESOURCES_TYPE_URL, packAny, packJsonAny, packOciProcess, runtimeoptions, task, unpackAny } from '@kata-ts/protocols';
import { Client, Code, createClient, Server, TtrpcError, type TypedClient } from '@kata-ts/ttrpc';
import { EventPublisher } from '../src/events/event-publisher';
import { Pod } from '../src/pod';
import type { SandboxHandle } from '../src/sandbox/sandbox-handle';
import { taskService } from '../src/task-service';
import { FakeAgent } from './fake-agent';

/*
 * The Task service as containerd drives it, over a real ttrpc socket, with events forwarded to a
 * real ttrpc Events server; only the sandbox is an in-memory stand-in (FakeAgent instead of a VM:
 * the VM path is ctr-run.e2e.test.ts).
 */
const log = createLogger({ name: 'test', level: 'silent' });
const VM_PID = 4321;
let dir: string;
let agent: FakeAgent;
let topics: string[];
let shutdowns: number;
let sandboxStops: number;
/** The sandbox's fitMemory calls: container and limit, in order. */
let memoryFits: [string, number | undefined][];
let servers: Server[];
let client: Client;
let tasks: TypedClient<typeof task.TaskDefinition>;

function bundle(id: string, linux?: object): string {
  const path = join(dir, 'bundles', id);
  mkdirSync(join(path, 'rootfs'), { recursive: true });
  writeFileSync(join(path, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', process: { cwd: '/', user: { uid: 0, gid: 0 }, args: ['sh'] }, linux }));
  return path;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shim-task-'));
  for (const f of ['kernel', 'initrd', 'proxy']) writeFileSync(join(dir, f), '');
  const configPath = join(dir, 'configuration.toml');
  writeFileSync(configPath, `[hypervisor.qemu]\npath = "/bin/true"\nkernel = "${dir}/kernel"\ninitrd = "${dir}/initrd"\n[proxy.kata]\npath = "${dir}/proxy"\n`);
  agent = new FakeAgent();
  topics = [];
  shutdowns = 0;
  sandboxStops = 0;
  memoryFits = [];
  const events = new Server({ logger: log }).register(eventsService.EventsDefinition, {
    forward: async (r) => {
      const event = unpackAny(r.envelope!.event!).message as { id?: string; execId?: string; containerId: string };
      topics.push(`${r.envelope!.topic} ${event.execId || event.id || event.containerId}`);
      return {};
    },
  });
  await events.listen(join(dir, 'events.sock'));
  const sandbox: SandboxHandle = {
    id: 'c1',
    pid: VM_PID,
    agent,
    mountRootfs: async (id) => `/run/kata-containers/shared/containers/${id}/rootfs`,
    shareMounts: async (_id, mounts) => mounts,
    fitMemory: async (id, limit) => void memoryFits.push([id, limit]),
    unmountRootfs: async () => undefined,
    connectLateNetwork: async () => undefined,
    stop: async () => {
      sandboxStops++;
    },
  };
  const publisher = new EventPublisher({ namespace: 'default', ttrpcAddress: join(dir, 'events.sock'), log });
  const pod = new Pod({ namespace: 'default', events: publisher, createSandbox: async () => sandbox, log, startConfigPath: configPath });
  const shim = new Server({ logger: log }).register(task.TaskDefinition, taskService(pod, log, () => shutdowns++));
  await shim.listen(join(dir, 'shim.sock'));
  servers = [events, shim];
  client = await Client.connect(join(dir, 'shim.sock'));
  tasks = createClient(task.TaskDefinition, client);
});

afterEach(async () => {
  await client.close();
  for (const s of servers) await s.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const create = (id: string) =>
  tasks.create(task.CreateTaskRequest.fromPartial({ id, bundle: bundle(id), stdout: `file://${join(dir, `${id}.log`)}`, stderr: `file://${join(dir, `${id}.log`)}` }));
const code = (p: Promise<unknown>) => p.then(() => Code.OK, (e: unknown) => (e instanceof TtrpcError ? e.code : -1));
const waitTopics = async (n: number) => {
  for (let i = 0; i < 200 && topics.length < n; i++) await new Promise((r) => setTimeout(r, 10));
};

describe('containerd.task.v2.Task', () => {
  it('ctr run --rm: Create, Connect, Wait, Start, State, (exit), Delete, Shutdown with events in order', async () => {
    expect((await create('c1')).pid).toBe(VM_PID);
    expect(await tasks.connect({ id: 'c1' })).toMatchObject({ shimPid: process.pid, taskPid: VM_PID });
    const waited = tasks.wait({ id: 'c1', execId: '' });
    agent.exitProcess('c1', '', 3); // exits as soon as it starts
    expect((await tasks.start({ id: 'c1', execId: '' })).pid).toBe(VM_PID);
    expect((await waited).exitStatus).toBe(3);
    const state = await tasks.state({ id: 'c1', execId: '' });
    expect(state).toMatchObject({ status: 3 /* STOPPED */, exitStatus: 3, pid: VM_PID });
    expect(state.exitedAt!.seconds).toBeGreaterThan(0);
    expect((await tasks.delete({ id: 'c1', execId: '' })).exitStatus).toBe(3);
    await tasks.shutdown({ id: 'c1', now: false });
    await waitTopics(4);
    expect(topics).toEqual(['/tasks/create c1', '/tasks/start c1', '/tasks/exit c1', '/tasks/delete c1']);
    expect([shutdowns, sandboxStops]).toEqual([1, 1]);
  });

  it('exec lifecycle; the init exit is published after its execs; errors carry containerd codes', async () => {
    await create('c1');
    await tasks.start({ id: 'c1', execId: '' });
    expect(await code(tasks.start({ id: 'c1', execId: '' }))).toBe(Code.FAILED_PRECONDITION);
    expect(await code(tasks.state({ id: 'nope', execId: '' }))).toBe(Code.NOT_FOUND);
    expect(await code(tasks.checkpoint({ id: 'c1', path: '/x', options: undefined }))).toBe(Code.UNIMPLEMENTED);
    const spec = packOciProcess({ cwd: '/', user: { uid: 0, gid: 0 }, args: ['sleep', '1'] });
    await tasks.exec({ id: 'c1', execId: 'e1', terminal: false, stdin: '', stdout: '', stderr: '', spec });
    expect(await code(tasks.exec({ id: 'c1', execId: 'e1', terminal: false, stdin: '', stdout: '', stderr: '', spec }))).toBe(Code.ALREADY_EXISTS);
    await tasks.start({ id: 'c1', execId: 'e1' });
    expect((await tasks.state({ id: 'c1', execId: 'e1' })).status).toBe(2 /* RUNNING */);
    await tasks.pause({ id: 'c1' });
    expect((await tasks.state({ id: 'c1', execId: '' })).status).toBe(4 /* PAUSED */);
    await tasks.resume({ id: 'c1' });
    expect((await tasks.pids({ id: 'c1' })).processes.map((p) => p.pid)).toEqual([1]);

    agent.exitProcess('c1', '', 137); // the init dies first ...
    setTimeout(() => agent.exitProcess('c1', 'e1', 0), 100); // ... its exec a moment later
    expect((await tasks.wait({ id: 'c1', execId: 'e1' })).exitStatus).toBe(0);
    await tasks.wait({ id: 'c1', execId: '' });
    await tasks.delete({ id: 'c1', execId: 'e1' });
    await tasks.shutdown({ id: 'c1', now: false });
    expect(shutdowns).toBe(0); // containers left: the shim stays
    await tasks.delete({ id: 'c1', execId: '' });
    await waitTopics(9);
    expect(topics).toEqual([
      '/tasks/create c1',
      '/tasks/start c1',
      '/tasks/exec-added e1',
      '/tasks/exec-started e1',
      '/tasks/paused c1',
      '/tasks/resumed c1',
      '/tasks/exit e1',
      '/tasks/exit c1',
      '/tasks/delete c1',
    ]);
  });

  it('sizes the VM for each container’s memory limit before creating it, and again on update', async () => {
    const MiB = 1024 * 1024;
    await tasks.create(task.CreateTaskRequest.fromPartial({ id: 'c1', bundle: bundle('c1', { resources: { memory: { limit: 300 * MiB } } }) }));
    expect(memoryFits).toEqual([['c1', 300 * MiB]]);
    await tasks.start({ id: 'c1', execId: '' });
    await tasks.update({ id: 'c1', resources: packJsonAny(OCI_LINUX_RESOURCES_TYPE_URL, { memory: { limit: 600 * MiB } }), annotations: {} });
    // An update that leaves memory alone leaves the VM alone.
    await tasks.update({ id: 'c1', resources: packJsonAny(OCI_LINUX_RESOURCES_TYPE_URL, { cpu: { shares: 512 } }), annotations: {} });
    expect(memoryFits).toEqual([['c1', 300 * MiB], ['c1', 600 * MiB]]);
  });

  it('takes ConfigPath from CreateTaskRequest.options and shows a bad one to the user', async () => {
    const options = packAny(runtimeoptions.Options, { typeUrl: '', configPath: join(dir, 'missing.toml'), configBody: Buffer.alloc(0) });
    const err = (await tasks.create(task.CreateTaskRequest.fromPartial({ id: 'c1', bundle: bundle('c1'), options })).then(
      () => undefined,
      (e: unknown) => e,
    )) as TtrpcError;
    expect(err).toBeInstanceOf(TtrpcError);
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toMatch(/missing\.toml: configuration file does not exist \(named by runtime option ConfigPath\)/);
  });
});
