import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

describe('createLogger', () => {
  it('writes structured lines with name and bindings to a file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'log-')), 'sub', 'shim.log');
    const log = createLogger({ name: 'shim', destination: path, bindings: { sandbox: 'sb1' } });
    log.child({ container: 'c1' }).info({ pid: 7 }, 'started');
    const line = JSON.parse(readFileSync(path, 'utf8').trim());
    expect(line).toMatchObject({ name: 'shim', sandbox: 'sb1', container: 'c1', msg: 'started', level: 30 });
  });

  it('refuses stdout', () => {
    expect(() => createLogger({ name: 'shim', destination: 1 })).toThrow(/stdout/);
  });
});
