import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../bench-result';
import { orderFigures, reportMarkdown } from './report-markdown';
import { reportSvg } from './report-svg';
import { parseResult, runBench, type BenchRun } from './run-bench';

const tsxBin = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');
const CTR: BenchResult = {
  bench: 'ctr-run',
  figures: [
    { id: 'shim-rss', label: 'shim RSS', unit: 'MiB', lowerIsBetter: true, subject: { name: 'kata-ts', value: 60 } },
    {
      id: 'ctr-run-true',
      label: 'ctr run --rm true',
      unit: 'ms',
      lowerIsBetter: true,
      subject: { name: 'kata-ts', value: 3000 },
      reference: { name: 'runc', value: 150 },
    },
  ],
  notes: ['TCG: no usable KVM'],
};

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('bench report', () => {
  it('orders the issue figures first and gives ratios against the same-run reference', () => {
    const runs: BenchRun[] = [{ file: 'x', name: 'ctr-run', seconds: 12, result: CTR }];
    expect(orderFigures(runs).map((f) => f.id)).toEqual(['ctr-run-true', 'shim-rss']);
    const md = reportMarkdown(runs, { date: new Date(0), host: 'test host', totalSeconds: 12 });
    expect(md).toContain('| ctr run --rm true | 3000 ms | runc: 150 ms | 20.0× runc |');
    expect(md).toContain('| shim RSS | 60.0 MiB | — | — |');
    expect(md).toContain('Not measured in this run: bare VM boot to agent ready, exec latency');
    expect(md).toContain('- ctr-run: TCG: no usable KVM');
  });

  it('keeps the printed table of a benchmark without --json, and lists failures', () => {
    const runs: BenchRun[] = [
      { file: 'a', name: 'mux', seconds: 3, rawStdout: '| a | b |\n| --- | --- |\n| 1 | 2 |' },
      { file: 'b', name: 'boot', seconds: 90, error: 'timed out after 90 s' },
    ];
    const md = reportMarkdown(runs, { date: new Date(0), host: 'h', totalSeconds: 93 });
    expect(md).toContain('## mux (as printed)\n\n| a | b |');
    expect(md).toContain('| boot | failed: timed out after 90 s | 90 |');
  });

  it('draws one scaled bar pair per figure, escaping labels', () => {
    const svg = reportSvg([{ ...CTR.figures[1]!, label: 'a <b> & c' }], 'title');
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    // kata-ts is the longer bar: full width; runc's is 150/3000 of it.
    expect(svg).toContain('width="420.0"');
    expect(svg).toContain('width="21.0"');
    expect(svg).toContain('20.0× runc');
  });

  it('finds the JSON line after log lines', () => {
    expect(parseResult(`starting\n${JSON.stringify(CTR)}\n`)).toEqual(CTR);
    expect(parseResult('| only | a table |')).toBeUndefined();
  });

  it('runs a benchmark with --json, and kills one that overruns its time with its whole group', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const ok = join(dir, 'ok.bench.ts');
    writeFileSync(ok, `console.error('progress'); if (process.argv.includes('--json')) console.log(${JSON.stringify(JSON.stringify(CTR))});\n`);
    const lines: string[] = [];
    const run = await runBench(tsxBin, ok, 60_000, (l) => lines.push(l));
    expect(run.error).toBeUndefined();
    expect(run.result).toEqual(CTR);
    expect(lines).toContain('[ok] progress');

    const pidFile = join(dir, 'child.pid');
    const slow = join(dir, 'slow.bench.ts');
    writeFileSync(
      slow,
      `import { spawn } from 'node:child_process'; import { writeFileSync } from 'node:fs';\n` +
        `const c = spawn('sleep', ['300'], { stdio: 'ignore' }); writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));\n` +
        `setInterval(() => undefined, 1000);\n`,
    );
    // Its limit leaves tsx time to start and write the pid file even on a busy machine.
    const timedOut = await runBench(tsxBin, slow, 20_000, () => undefined);
    expect(timedOut.error).toMatch(/timed out/);
    const grandchild = readFileSync(pidFile, 'utf8');
    expect(await gone(grandchild)).toBe(true);
  });
});

/** Whether the process is gone (or a zombie awaiting its new parent's reaping) within 5 s. */
async function gone(pid: string): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    let state: string | undefined;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
