import { stripVTControlCharacters } from 'node:util';

/**
 * The last `lines` lines of another program's output (QEMU's stderr, a log file), on one line for
 * an error message a user reads: terminal escape sequences (colours, cursor moves) removed, since
 * they reach the user as raw bytes through containerd and ctr.
 */
export function outputTail(text: string, lines = 5, separator = ' | '): string {
  return stripVTControlCharacters(text)
    .trimEnd()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(separator);
}
