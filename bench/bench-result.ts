/**
 * What every `bench/*.bench.ts` reports, so that `bench/report.ts` can put all figures in one
 * table. A benchmark prints its markdown table by default and this JSON (one object on stdout)
 * when run with `--json`; `printBenchResult` does both.
 */
export interface BenchFigure {
  /** Stable id, e.g. `ctr-run-true`, `boot-to-agent-ready`, `exec-latency`, `stdout-throughput`, `shim-rss`. */
  id: string;
  /** What was measured, for the report's first column. */
  label: string;
  /** ms, MiB/s, MiB, ... */
  unit: string;
  /** The kata-ts figure (median of the samples). */
  subject: { name: string; value: number };
  /** Its reference measured in the same run (runc, the bare VM boot, ...), when there is one. */
  reference?: { name: string; value: number };
  /** Whether smaller is better (times, memory) or larger (throughput). */
  lowerIsBetter: boolean;
  samples?: number;
}

export interface BenchResult {
  bench: string;
  figures: BenchFigure[];
  /** Anything a reader must know (e.g. "TCG: no usable KVM on this host"). */
  notes?: string[];
}

export function isBenchResult(value: unknown): value is BenchResult {
  const v = value as BenchResult;
  return typeof v === 'object' && v !== null && typeof v.bench === 'string' && Array.isArray(v.figures);
}

/** `subject / reference`, as "3.20× runc"; how many times the reference the kata-ts figure is. */
export function formatRatio(f: BenchFigure): string {
  if (!f.reference || f.reference.value === 0) return '';
  const r = f.subject.value / f.reference.value;
  const shown = r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2);
  return `${shown}× ${f.reference.name}`;
}

export function formatValue(value: number, unit: string): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

export function benchMarkdownTable(result: BenchResult): string {
  const rows = result.figures.map(
    (f) =>
      `| ${f.label} | ${f.subject.name}: ${formatValue(f.subject.value, f.unit)} | ` +
      `${f.reference ? `${f.reference.name}: ${formatValue(f.reference.value, f.unit)}` : ''} | ${formatRatio(f)} |`,
  );
  return ['| measurement | kata-ts | reference | ratio |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** Prints JSON with `--json` in argv, else the markdown table and the notes. */
export function printBenchResult(result: BenchResult, argv: string[] = process.argv): void {
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const notes = (result.notes ?? []).map((n) => `\n> ${n}`).join('');
  process.stdout.write(`### ${result.bench}\n\n${benchMarkdownTable(result)}\n${notes}\n`);
}
