import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { events } from '@kata-ts/protocols';
import { assertNoLeaks, startContainerd, type PrivateContainerd } from '@kata-ts/testing';
import { EventPublisher } from '../src/events/event-publisher';

const log = createLogger({ name: 'test', level: 'silent' });

describe('EventPublisher → real containerd (TTRPC_ADDRESS Forward)', () => {
  let dir: string;
  let containerd: PrivateContainerd;
  let watcher: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'shim-events-'));
    containerd = await startContainerd({ dir });
  }, 60_000);
  afterAll(async () => {
    watcher?.kill('SIGKILL');
    await containerd?.stop();
    assertNoLeaks({ dir });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('delivers task events in order, in the namespace, as containerd.events types', async () => {
    watcher = spawn('ctr', ['--address', containerd.address, 'events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    watcher.stdout!.on('data', (b: Buffer) => (seen += b.toString()));
    await new Promise((r) => setTimeout(r, 500)); // let the subscription start
    const publisher = new EventPublisher({ namespace: 'kata-ns', ttrpcAddress: `${containerd.address}.ttrpc`, log });
    publisher.publish('/tasks/create', events.TaskCreate, { containerId: 'c1', bundle: '/b', rootfs: [], io: undefined, checkpoint: '', pid: 42 });
    publisher.publish('/tasks/start', events.TaskStart, { containerId: 'c1', pid: 42 });
    publisher.publish('/tasks/exit', events.TaskExit, { containerId: 'c1', id: 'c1', pid: 42, exitStatus: 7, exitedAt: { seconds: 1, nanos: 0 } });
    publisher.publish('/tasks/delete', events.TaskDelete, { containerId: 'c1', pid: 42, exitStatus: 7, exitedAt: { seconds: 1, nanos: 0 }, id: 'c1' });
    await publisher.close();
    for (let i = 0; i < 100 && !seen.includes('/tasks/delete'); i++) await new Promise((r) => setTimeout(r, 50));
    const lines = seen.split('\n').filter((l) => l.includes('/tasks/'));
    expect(lines.map((l) => l.split(' ').find((w) => w.startsWith('/tasks/')))).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
    expect(lines.every((l) => l.includes(' kata-ns '))).toBe(true);
    expect(lines[2]).toContain('"exit_status":7');
  }, 30_000);
});
