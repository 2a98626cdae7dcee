/**
 * Where a kata-ts start's time goes, from the shim's own log (the lines containerd's log carries):
 * each start phase the shim marks (apps/shim/src/phase-clock.ts: `phaseMs`, the time since the
 * mark before it), then the exit and teardown (from 'container started' to 'shim exiting'), and
 * what is left of the whole `ctr run` outside them (ctr, containerd, the shim's own start).
 */
export interface Phase {
  name: string;
  ms: number;
}

interface ShimLine {
  msg?: string;
  time?: number;
  sandbox?: string;
  phaseMs?: number;
  sinceCreateMs?: number;
}

/** The phases of sandbox `id`'s start and teardown in `log` (containerd's log text), in order. */
export function shimPhases(log: string, id: string, totalMs: number): Phase[] {
  const lines: ShimLine[] = [];
  for (const text of log.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const line = JSON.parse(text) as ShimLine;
      if (line.sandbox === id) lines.push(line);
    } catch {
      // a line containerd cut: not one of the shim's marks
    }
  }
  const phases: Phase[] = lines.filter((l) => typeof l.phaseMs === 'number').map((l) => ({ name: l.msg ?? '?', ms: l.phaseMs! }));
  const started = lines.find((l) => l.msg === 'container started');
  const exiting = lines.find((l) => l.msg === 'shim exiting');
  if (!started?.time || !exiting?.time || started.sinceCreateMs === undefined) throw new Error(`no start and exit of ${id} in the shim's log`);
  const teardown = exiting.time - started.time;
  phases.push({ name: 'exit and teardown (to shim exiting)', ms: teardown });
  phases.push({ name: 'outside the shim (ctr, containerd, shim start)', ms: totalMs - started.sinceCreateMs - teardown });
  return phases;
}

/** Per phase name, the median over runs (each run's phases in the same order). */
export function medianPhases(runs: Phase[][]): Phase[] {
  const first = runs[0] ?? [];
  return first.map(({ name }) => {
    const xs = runs.map((r) => r.find((p) => p.name === name)?.ms ?? 0).sort((a, b) => a - b);
    return { name, ms: xs[Math.floor(xs.length / 2)]! };
  });
}
