import { describe, expect, it } from 'vitest';
import { medianPhases, shimPhases } from './shim-phases';

const line = (o: object) => JSON.stringify({ level: 30, name: 'kata-shim', ...o });
const LOG = [
  'time="2026-12-07T03:33:03Z" level=info msg="shim disconnected" id=a',
  line({ sandbox: 'a', msg: 'VM started', phaseMs: 900, sinceCreateMs: 900, time: 1_000 }),
  line({ sandbox: 'b', msg: 'VM started', phaseMs: 5, sinceCreateMs: 5, time: 1_000 }),
  line({ sandbox: 'a', msg: 'agent ready', phaseMs: 4000, sinceCreateMs: 4900, time: 5_000 }),
  line({ sandbox: 'a', msg: 'container started', phaseMs: 600, sinceCreateMs: 5500, time: 5_600 }),
  line({ sandbox: 'a', msg: 'process exited', time: 6_000 }),
  '{"cut',
  line({ sandbox: 'a', msg: 'shim exiting', time: 6_400 }),
].join('\n');

describe('shim start phases from the log', () => {
  it("lists one sandbox's marks, then its teardown and what ctr and containerd took outside the shim", () => {
    expect(shimPhases(LOG, 'a', 7_000)).toEqual([
      { name: 'VM started', ms: 900 },
      { name: 'agent ready', ms: 4000 },
      { name: 'container started', ms: 600 },
      { name: 'exit and teardown (to shim exiting)', ms: 800 },
      { name: 'outside the shim (ctr, containerd, shim start)', ms: 700 },
    ]);
  });

  it('refuses a log without the start of that sandbox', () => {
    expect(() => shimPhases(LOG, 'c', 7_000)).toThrow(/no start and exit of c/);
  });

  it('takes the median of each phase over runs', () => {
    const run = (ms: number) => [{ name: 'VM started', ms }];
    expect(medianPhases([run(3), run(1), run(2)])).toEqual([{ name: 'VM started', ms: 2 }]);
  });
});
