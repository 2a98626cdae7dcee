import { describe, expect, it } from 'vitest';
import { StateMachine, type StateTable } from './state-machine';

type Light = 'off' | 'on' | 'broken';
const TABLE: StateTable<Light, 'press' | 'smash'> = { off: { press: 'on', smash: 'broken' }, on: { press: 'off', smash: 'broken' } };

describe('StateMachine', () => {
  it('moves through the table and refuses what is missing, naming the operation, the object and the status', () => {
    const light = new StateMachine(TABLE, 'off', 'lamp 1');
    expect(light.apply('press')).toBe('on');
    expect(light.apply('smash')).toBe('broken');
    expect(() => light.apply('press')).toThrow(expect.objectContaining({ code: 'FAILED_PRECONDITION', message: 'cannot press: lamp 1 is broken, not off or on' }));
    expect(light.status).toBe('broken');
  });

  it('runs one operation at a time and moves on only when the work succeeded', async () => {
    const light = new StateMachine(TABLE, 'off', 'lamp 1');
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name}>`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`<${name}`);
      if (fail) throw new Error(`${name} failed`);
    };
    const first = light.run('press', step('a', 30, true));
    const second = light.run('press', step('b', 1));
    await expect(first).rejects.toThrow('a failed');
    await second;
    expect(log).toEqual(['a>', '<a', 'b>', '<b']);
    expect(light.status).toBe('on'); // the failed press changed nothing
  });
});
