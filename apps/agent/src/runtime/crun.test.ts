import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '@kata-ts/errors';
import { CommandError } from '../errors';
import { Crun, crunWords } from './crun';

let dir: string;
let crun: Crun;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-crun-'));
  // A crun that always fails, with words that say nothing about the container.
  const binary = join(dir, 'crun');
  writeFileSync(binary, '#!/bin/sh\necho "error: no such file or directory: does not exist" >&2\nexit 1\n');
  chmodSync(binary, 0o755);
  crun = new Crun({ binary, root: join(dir, 'root') });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Crun failures', () => {
  it("are NotFound when crun holds no state for the container, whatever crun's words", async () => {
    await expect(crun.delete('c1', true)).rejects.toBeInstanceOf(NotFoundError);
    await expect(crun.kill('c1', 9, true)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("are a CommandError with crun's words when the container exists", async () => {
    mkdirSync(join(dir, 'root', 'c1'), { recursive: true });
    writeFileSync(join(dir, 'root', 'c1', 'status'), '{}');
    const error = await crun.pause('c1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: 'INTERNAL', message: 'crun pause failed (exit 1): error: no such file or directory: does not exist' });
  });
});

describe('crunWords', () => {
  it('says what is wrong with a path instead of "not found in $PATH"', () => {
    expect(crunWords('executable file `/nope` not found in $PATH: No such file or directory')).toBe('executable file `/nope` does not exist');
    expect(crunWords('executable file `./app` not found in $PATH')).toBe('executable file `./app` does not exist');
    expect(crunWords('executable file `/etc/passwd` not found in $PATH: Permission denied')).toBe('executable file `/etc/passwd` is not executable');
    expect(crunWords('executable file `/bin` not found in $PATH: Is a directory; other')).toBe('executable file `/bin` cannot be executed: Is a directory; other');
  });

  it('keeps the words for a bare name, which crun did look up in $PATH', () => {
    const message = 'executable file `nope` not found in $PATH: No such file or directory';
    expect(crunWords(message)).toBe(message);
  });
});
