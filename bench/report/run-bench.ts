import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { type BenchResult, isBenchResult } from '../bench-result';

export interface BenchRun {
  file: string;
  name: string;
  /** Parsed `--json` output, when the benchmark gives it. */
  result?: BenchResult;
  /** Whatever it printed on stdout when it gave no JSON (its markdown table). */
  rawStdout?: string;
  error?: string;
  seconds: number;
}

/**
 * Runs one benchmark as `tsx <file> --json` in its own process group, so that a timeout kills
 * everything it started (QEMU, containerd, shims), and streams its stderr as progress.
 */
export function runBench(tsxBin: string, file: string, timeoutMs: number, progress: (line: string) => void): Promise<BenchRun> {
  const name = basename(file).replace(/\.bench\.ts$/, '');
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(tsxBin, [file, '--json'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) progress(`[${name}] ${line}`);
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.on('error', (err) => finish(err.message));
    child.on('close', (code, signal) => {
      // Benchmarks may leave helpers in their group; none may outlive the report.
      killGroup('SIGKILL');
      if (timedOut) return finish(`timed out after ${Math.round(timeoutMs / 1000)} s`);
      if (code !== 0) return finish(`exited with ${signal ?? code}: ${lastLines(stderrTail)}`);
      finish();
    });
    let done = false;
    function finish(error?: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const result = parseResult(stdout);
      const seconds = (Date.now() - started) / 1000;
      resolve({ file, name, seconds, result, rawStdout: result ? undefined : stdout.trim() || undefined, error });
    }
  });
}

/** The whole stdout as one JSON object, or the last line that is one (a benchmark may log before it). */
export function parseResult(stdout: string): BenchResult | undefined {
  const candidates = [stdout.trim(), ...stdout.trim().split('\n').reverse()];
  for (const text of candidates) {
    if (!text.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(text);
      if (isBenchResult(value)) return value;
    } catch {
      // Not JSON: try the next candidate.
    }
  }
  return undefined;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
