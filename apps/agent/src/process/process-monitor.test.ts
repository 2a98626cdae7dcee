import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeProcessDir } from './process-monitor';

let root: string;
beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'agent-process-dir-'))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('removeProcessDir', () => {
  it("removes a process's FIFOs and files, and the directory", () => {
    const dir = join(root, '1');
    mkdirSync(dir);
    for (const fifo of ['stdin', 'stdout', 'stderr']) execFileSync('mkfifo', [join(dir, fifo)]);
    for (const file of ['pid', 'start.log', 'exec-plan']) writeFileSync(join(dir, file), 'x');
    removeProcessDir(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('removes what it does not expect too (a subdirectory)', () => {
    const dir = join(root, '2');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'f'), 'x');
    removeProcessDir(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('is quiet when the directory is already gone', () => {
    expect(() => removeProcessDir(join(root, 'never'))).not.toThrow();
  });
});
