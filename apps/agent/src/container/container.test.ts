import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import type { CgroupStats } from '../cgroups/cgroup-stats';
import type { fakeMonitored } from '../process/fake-monitored';
import type { MonitorLauncher } from '../process/monitor-launcher';
import type { Crun } from '../runtime/crun';
import { Container } from './container';

// Processes without kata-agent-monitor or crun: each start hands out a fake the test exits.
const started = vi.hoisted(() => [] as ReturnType<typeof fakeMonitored>[]);
vi.mock('../process/process-monitor', async (importOriginal) => {
  const { fakeMonitored } = await import('../process/fake-monitored');
  return {
    ...(await importOriginal<typeof import('../process/process-monitor')>()),
    startMonitored: async () => {
      const fake = fakeMonitored();
      started.push(fake);
      return fake.monitored;
    },
  };
});

let dir: string;
let log: string[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-container-'));
  log = [];
  started.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** crun with a delay per command, logging when each begins (>) and ends (<); kill and delete end every process. */
function slowCrun(): Crun {
  const step =
    (name: string, ms: number, then = () => {}) =>
    async () => {
      log.push(`${name}>`);
      await sleep(ms);
      then();
      log.push(`<${name}`);
      return '';
    };
  const exitAll = () => started.forEach((p) => p.exit(137));
  return {
    start: step('start', 10),
    pause: step('pause', 50),
    resume: step('resume', 20),
    update: step('update', 5),
    kill: step('kill', 5, exitAll),
    delete: step('delete', 10, exitAll),
    pids: async () => [],
  } as unknown as Crun;
}

let seq = 0;
async function create(id = 'c1'): Promise<Container> {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  return Container.create(id, 'sb', id, { ociVersion: '1.1.0', root: { path: rootfs }, process: { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } } }, {
    crun: slowCrun(),
    cgroups: { frozen: () => true } as unknown as CgroupStats,
    monitors: {} as MonitorLauncher,
    bundleDir: join(dir, 'bundle'),
    newIoDir: () => {
      const io = join(dir, 'io', String(++seq));
      mkdirSync(io, { recursive: true });
      return io;
    },
    log: createLogger({ name: 'test', level: 'silent' }),
  });
}

const execSpec = { args: ['true'], cwd: '/', user: { uid: 0, gid: 0 } };

describe('Container', () => {
  it('serialises operations: a Remove issued during a Pause waits for it, then resumes and kills', async () => {
    const c = await create();
    await c.start();
    await Promise.all([c.pause(), c.remove(10)]);
    expect(log).toEqual(['start>', '<start', 'pause>', '<pause', 'resume>', '<resume', 'kill>', '<kill', 'delete>', '<delete']);
    expect(c.status).toBe('removed');
    await expect(c.resume()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: 'cannot resume: container c1 is removed, not paused' });
  });

  it('refuses illegal operations naming the operation and the status, and changes nothing', async () => {
    const c = await create();
    await expect(c.pause()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: 'cannot pause: container c1 is created, not running' });
    await expect(c.exec('e1', execSpec)).rejects.toThrow('cannot exec: container c1 is created, not running');
    expect([c.status, log]).toEqual(['created', []]);
    await c.start();
    await expect(c.start()).rejects.toThrow('cannot start: container c1 is running, not created');
    await c.pause();
    await expect(c.exec('e1', execSpec)).rejects.toThrow('container c1 is paused, not running');
    expect(c.status).toBe('paused');
  });

  it("stops on the init process's exit through the table, after the operation in flight", async () => {
    const c = await create();
    await c.start();
    const pausing = c.pause();
    started[0]!.exit(0);
    await pausing;
    expect(c.status).toBe('paused'); // the exit is queued behind the pause
    expect(await c.wait('')).toBe(0);
    await sleep(0);
    expect(c.status).toBe('stopped');
    await expect(c.update({})).rejects.toThrow('cannot update: container c1 is stopped, not created or running or paused');
    await c.signal('', 9); // a kill after exit is a no-op
    await c.remove(10);
    expect(log).toEqual(['start>', '<start', 'pause>', '<pause', 'delete>', '<delete']);
    expect(c.status).toBe('removed');
  });

  it('deletes an exec only once it exited: Remove waits for those crun delete killed', async () => {
    const c = await create();
    await c.start();
    const exec = await c.exec('e1', execSpec);
    expect(exec.status).toBe('running');
    started[0]!.exit(0); // the init exits (not pid 1 of a shared pid namespace): the exec lives on
    await c.wait('');
    await c.remove(10);
    expect([exec.status, log.slice(-2)]).toEqual(['deleted', ['delete>', '<delete']]);
  });
});
