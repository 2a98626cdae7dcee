import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerProcess } from './container-process';
import { fakeMonitored } from './fake-monitored';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), 'agent-proc-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('ContainerProcess state tables', () => {
  it('init: created → running → stopped → deleted; illegal operations name the status and change nothing', async () => {
    const fake = fakeMonitored();
    const init = new ContainerProcess('c1', true, false, fake.monitored, dir);
    expect(init.status).toBe('created');
    expect(() => init.delete()).toThrow('cannot delete: process c1 is created, not stopped');
    await init.start(async () => {});
    expect(init.status).toBe('running');
    await expect(init.start(async () => {})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: 'cannot start: process c1 is running, not created' });
    fake.exit(137);
    expect(await init.exited).toBe(137);
    expect(init.status).toBe('stopped');
    init.signal(9); // after the exit: a no-op
    init.delete();
    expect(init.status).toBe('deleted');
    expect(() => init.signal(9)).toThrow('cannot signal: process c1 is deleted, not created or running or stopped');
  });

  it('init: an exit reported while crun start runs lands after it', async () => {
    const fake = fakeMonitored();
    const init = new ContainerProcess('c1', true, false, fake.monitored, dir);
    const seen: string[] = [];
    const started = init.start(async () => {
      fake.exit(0);
      await new Promise((r) => setTimeout(r, 20));
      seen.push(init.status);
    });
    await started;
    await init.exited;
    expect([...seen, init.status]).toEqual(['created', 'stopped']);
  });

  it('exec: born running (ExecProcess starts it), no start; stopped before deleted', async () => {
    const fake = fakeMonitored();
    const exec = new ContainerProcess('e1', false, false, fake.monitored, dir);
    expect(exec.status).toBe('running');
    await expect(exec.start(async () => {})).rejects.toThrow('cannot start: process e1 is running');
    expect(() => exec.delete()).toThrow('cannot delete: process e1 is running, not stopped');
    fake.exit(0);
    await exec.exited;
    exec.delete();
    expect(exec.status).toBe('deleted');
  });
});
