/**
 * `npm run bench`: runs every bench/*.bench.ts (with --json) within a 10-minute budget and writes
 * one report, bench/out/report.md and bench/out/report.svg. Progress goes to stderr; the table
 * to stdout. Usage: report.ts [--only name,name] [--budget-seconds N]
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figuresTable, orderFigures, reportMarkdown } from './report/report-markdown';
import { reportSvg } from './report/report-svg';
import { type BenchRun, runBench } from './report/run-bench';

const benchDir = dirname(fileURLToPath(import.meta.url));
const tsxBin = join(benchDir, '..', 'node_modules', '.bin', 'tsx');
const outDir = join(benchDir, 'out');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const only = flag('--only')?.split(',');
const budgetMs = Number(flag('--budget-seconds') ?? 570) * 1000;
// Slow, VM-booting benchmarks first, so a budget overrun costs the cheap ones.
const ORDER = ['boot', 'ctr-run', 'ctr-exec', 'agent', 'proxy', 'ttrpc', 'mux'];
const rank = (f: string): number => {
  const i = ORDER.indexOf(f.replace(/\.bench\.ts$/, ''));
  return i < 0 ? ORDER.length : i;
};
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only || only.includes(f.replace(/\.bench\.ts$/, '')))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

const started = Date.now();
const runs: BenchRun[] = [];
for (const file of files) {
  const left = budgetMs - (Date.now() - started);
  if (left < 10_000) {
    runs.push({ file, name: file.replace(/\.bench\.ts$/, ''), seconds: 0, error: 'skipped: the 10-minute budget was spent' });
    continue;
  }
  console.error(`bench: running ${file} (${Math.round(left / 1000)} s of budget left)`);
  const run = await runBench(tsxBin, join(benchDir, file), left, (line) => console.error(line));
  console.error(`bench: ${file} ${run.error ? `FAILED: ${run.error}` : 'done'} in ${run.seconds.toFixed(0)} s`);
  runs.push(run);
}

const totalSeconds = (Date.now() - started) / 1000;
const host = `Linux ${release()}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'})`;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'report.md'), reportMarkdown(runs, { date: new Date(), host, totalSeconds }));
writeFileSync(join(outDir, 'report.svg'), reportSvg(orderFigures(runs), `kata-ts vs references (${new Date().toISOString().slice(0, 10)})`));
console.log(figuresTable(orderFigures(runs)));
console.error(`bench: wrote ${join(outDir, 'report.md')} and report.svg in ${totalSeconds.toFixed(0)} s`);
if (files.length === 0) console.error('bench: no bench/*.bench.ts found');
process.exitCode = runs.some((r) => r.error) || files.length === 0 ? 1 : 0;
