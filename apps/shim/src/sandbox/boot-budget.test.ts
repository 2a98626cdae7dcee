import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BootBudget, runQueueWaitMs } from './boot-budget';

describe('BootBudget', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('is the dial timeout while the VM gets its CPU (or before it exists)', () => {
    const budget = new BootBudget(45_000, () => 0);
    expect(budget.remainingMs()).toBe(45_000);
    budget.watch(123);
    vi.advanceTimersByTime(45_001);
    expect(budget.remainingMs()).toBe(-1);
  });

  it('grows by the time the VM waited for a CPU, read afresh each time', () => {
    let waited = 0;
    const budget = new BootBudget(45_000, () => waited);
    budget.watch(123);
    vi.advanceTimersByTime(60_000);
    waited = 30_000;
    expect(budget.extensionMs()).toBe(30_000);
    expect(budget.remainingMs()).toBe(15_000);
  });

  it('never grows past four dial timeouts in all', () => {
    const budget = new BootBudget(10_000, () => 1e9);
    budget.watch(123);
    expect(budget.extensionMs()).toBe(30_000);
    vi.advanceTimersByTime(40_000);
    expect(budget.remainingMs()).toBe(0);
  });
});

describe('runQueueWaitMs', () => {
  it('sees processes that wait for a CPU: twice as many busy ones as there are CPUs', async () => {
    const busy = Array.from({ length: 2 * availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (const end = Date.now() + 3000; Date.now() < end; );']));
    try {
      await sleep(1500);
      const waits = busy.map((p) => runQueueWaitMs(p.pid!));
      expect(Math.max(...waits)).toBeGreaterThan(100);
    } finally {
      for (const p of busy) p.kill('SIGKILL');
    }
  });

  it('is 0 for a process that is gone', () => {
    expect(runQueueWaitMs(spawnSync('true').pid)).toBe(0);
  });
});
