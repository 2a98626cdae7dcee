import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withLock } from '../src/template-lock';

describe('withLock', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serialises holders, records the holder pid and releases on failure', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const lock = join(dir, 'l');
    const order: string[] = [];
    const holder = (name: string, fail = false) =>
      withLock(lock, 5000, async () => {
        order.push(`${name} in (${readFileSync(lock, 'utf8')})`);
        await new Promise((r) => setTimeout(r, 150));
        order.push(`${name} out`);
        if (fail) throw new Error(`${name} failed`);
      });
    const results = await Promise.allSettled([holder('a', true), holder('b')]);
    expect(order).toEqual([`a in (${process.pid})`, 'a out', `b in (${process.pid})`, 'b out']);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { message: 'a failed' } });
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a dead holder's lock after cleaning up for it, and times out on a live one", async () => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const lock = join(dir, 'l');
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    writeFileSync(lock, dead);
    const stale: number[] = [];
    expect(await withLock(lock, 1000, async () => 'taken', (pid) => stale.push(pid))).toBe('taken');
    expect(stale).toEqual([Number(dead)]);

    writeFileSync(lock, '1'); // init: alive
    await expect(withLock(lock, 300, async () => 'never')).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('held by pid 1') });
  });
});
