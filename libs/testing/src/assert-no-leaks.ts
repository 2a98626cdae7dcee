import { existsSync, readdirSync } from 'node:fs';
import { findHarnessProcesses } from './harness-processes';
import { mountsUnder } from './mounts-under';

export interface LeakCheckOptions {
  /** The harness dir: processes carrying its marker and mounts below it are leaks. */
  dir: string;
  /** Processes that may stay (e.g. containerd itself while it runs). */
  allowPids?: number[];
  /** Directories that must be empty or absent (e.g. the shim's sandbox state dir). */
  emptyDirs?: string[];
}

/**
 * Throws, listing every leak, if a qemu / shim / proxy (any process started under the harness,
 * besides the allowed ones), a mount under `dir`, or a state directory entry was left behind.
 */
export function assertNoLeaks(options: LeakCheckOptions): void {
  const allowed = new Set(options.allowPids ?? []);
  const leaks: string[] = [];
  for (const p of findHarnessProcesses(options.dir)) {
    if (!allowed.has(p.pid)) leaks.push(`process ${p.pid} ${p.comm}: ${p.cmdline.slice(0, 200)}`);
  }
  for (const m of mountsUnder(options.dir)) leaks.push(`mount ${m}`);
  for (const d of options.emptyDirs ?? []) {
    if (existsSync(d)) for (const e of readdirSync(d)) leaks.push(`state ${d}/${e}`);
  }
  if (leaks.length) throw new Error(`leaks:\n  ${leaks.join('\n  ')}`);
}
