// Runs the real generation pipeline (protoc + ts-proto) to prove gen-check catches drift.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkgDir = resolve(import.meta.dirname, '..');
const script = join(pkgDir, 'scripts/gen.sh');
const protos = resolve(pkgDir, '../../protos');

let tmp: string | undefined;
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

async function check(protosDir: string): Promise<{ ok: boolean; stderr: string }> {
  try {
    await run(script, ['--check'], { env: { ...process.env, PROTOS_DIR: protosDir } });
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: (err as { stderr: string }).stderr };
  }
}

describe('gen-check', () => {
  it('passes on the committed protos and src/gen', async () => {
    expect(await check(protos)).toEqual({ ok: true, stderr: '' });
  }, 60_000);

  it('fails with a clear message when a proto changes without regenerating', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'protos-'));
    await cp(protos, tmp, { recursive: true });
    const file = join(tmp, 'ttrpc/request.proto');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('int64 timeout_nano = 4;', 'int64 timeout_nano = 6;'));
    const result = await check(tmp);
    expect(result.ok).toBe(false);
    expect(result.stderr).toContain('out of date');
    expect(result.stderr).toContain('request.ts');
  }, 60_000);

  it('generates identical output twice (deterministic)', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gen-'));
    await run(script, ['--out', join(tmp, 'a')]);
    await run(script, ['--out', join(tmp, 'b')]);
    await expect(run('diff', ['-r', join(tmp, 'a'), join(tmp, 'b')])).resolves.toBeDefined();
  }, 60_000);
});
