import { type BenchFigure, formatRatio, formatValue } from '../bench-result';
import type { BenchRun } from './run-bench';

/** The figures issue 6 asks for, by the `id` the benchmarks give them, in report order. */
export const EXPECTED_FIGURES: Array<{ id: string; label: string }> = [
  { id: 'boot-to-agent-ready', label: 'bare VM boot to agent ready' },
  { id: 'ctr-run-true', label: '`ctr run --rm true` (runc vs kata-ts)' },
  { id: 'exec-latency', label: 'exec latency' },
  { id: 'stdout-throughput', label: 'stdout throughput' },
  { id: 'agent-rss', label: 'agent RSS' },
  { id: 'shim-rss', label: 'shim RSS' },
  { id: 'proxy-rss', label: 'proxy RSS' },
];

export interface ReportContext {
  date: Date;
  host: string;
  totalSeconds: number;
}

/** Expected figures first (in EXPECTED_FIGURES order), then any others the benchmarks gave. */
export function orderFigures(runs: BenchRun[]): BenchFigure[] {
  const all = runs.flatMap((r) => r.result?.figures ?? []);
  const rank = (f: BenchFigure): number => {
    const i = EXPECTED_FIGURES.findIndex((e) => f.id === e.id || f.id.startsWith(`${e.id}-`));
    return i < 0 ? EXPECTED_FIGURES.length : i;
  };
  return all.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
}

export function reportMarkdown(runs: BenchRun[], ctx: ReportContext): string {
  const figures = orderFigures(runs);
  const out: string[] = [
    '# kata-ts benchmark report',
    '',
    `${ctx.date.toISOString()} on ${ctx.host}; all benchmarks took ${ctx.totalSeconds.toFixed(0)} s.`,
    'Each kata-ts figure is the median of its samples; the ratio is kata-ts divided by its reference, measured in the same run.',
    '',
    figuresTable(figures),
    '',
    '![chart](report.svg)',
    '',
  ];
  const absent = EXPECTED_FIGURES.filter((e) => !figures.some((f) => f.id === e.id || f.id.startsWith(`${e.id}-`)));
  if (absent.length) out.push(`Not measured in this run: ${absent.map((e) => e.label).join(', ')}.`, '');

  out.push('## Benchmarks', '', '| benchmark | result | seconds |', '| --- | --- | --- |');
  for (const r of runs) {
    const status = r.error ? `failed: ${r.error.replace(/\|/g, '\\|')}` : r.result ? `${r.result.figures.length} figure(s)` : 'no --json output (table below)';
    out.push(`| ${r.name} | ${status} | ${r.seconds.toFixed(0)} |`);
  }
  out.push('');
  const notes = runs.flatMap((r) => (r.result?.notes ?? []).map((n) => `- ${r.name}: ${n}`));
  if (notes.length) out.push('## Notes', '', ...notes, '');
  for (const r of runs.filter((run) => run.rawStdout)) out.push(`## ${r.name} (as printed)`, '', r.rawStdout ?? '', '');
  return out.join('\n');
}

export function figuresTable(figures: BenchFigure[]): string {
  const rows = figures.map((f) => {
    const ref = f.reference ? `${f.reference.name}: ${formatValue(f.reference.value, f.unit)}` : '—';
    return `| ${f.label} | ${formatValue(f.subject.value, f.unit)} | ${ref} | ${formatRatio(f) || '—'} |`;
  });
  return ['| measurement | kata-ts | reference (same run) | ratio |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
