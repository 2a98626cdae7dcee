import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { PhaseClock } from './phase-clock';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('PhaseClock', () => {
  it("logs each phase at info with its own duration and the time since Create, with the logger's ids", async () => {
    dir = mkdtempSync(join(tmpdir(), 'phase-clock-'));
    const file = join(dir, 'log');
    const clock = new PhaseClock(createLogger({ name: 'kata-shim', destination: file, bindings: { sandbox: 's1' } }));
    await new Promise((r) => setTimeout(r, 30));
    clock.mark('VM started', { vmPid: 7 });
    await new Promise((r) => setTimeout(r, 20));
    clock.mark('agent ready');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    expect(lines.map((l) => [l.msg, l.level, l.sandbox])).toEqual([
      ['VM started', 30, 's1'],
      ['agent ready', 30, 's1'],
    ]);
    type Marked = { vmPid?: number; phaseMs: number; sinceCreateMs: number };
    const [vm, agent] = lines as unknown as [Marked, Marked];
    expect(vm.vmPid).toBe(7);
    expect(vm.phaseMs).toBeGreaterThanOrEqual(25);
    expect(agent.phaseMs).toBeGreaterThanOrEqual(15);
    expect(Math.abs(agent.sinceCreateMs - vm.phaseMs - agent.phaseMs)).toBeLessThanOrEqual(1); // each is rounded
  });
});
