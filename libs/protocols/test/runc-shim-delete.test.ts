// Decodes bytes produced by containerd's own Go code: `containerd-shim-runc-v2 ... delete` prints a raw
// DeleteResponse on stdout, so this checks our task.DeleteResponse against the real encoder.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { task } from '../src/index';

const run = promisify(execFile);
const shim = '/usr/bin/containerd-shim-runc-v2';
const namespace = `kts-protocols-${process.pid}`;

let tmp: string | undefined;
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  // runc creates its (empty) state root for the namespace.
  await rmdir(`/run/containerd/runc/${namespace}`).catch(() => undefined);
});

describe('DeleteResponse from the real runc shim', () => {
  it('decodes pid, exit status 137 and exited_at', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'shim-delete-'));
    const bundle = join(tmp, 'c1');
    await mkdir(bundle);
    await writeFile(join(bundle, 'runtime'), 'runc');
    const before = Math.floor(Date.now() / 1000);
    const { stdout } = await run(
      shim,
      ['-namespace', namespace, '-address', join(tmp, 'none.sock'), '-publish-binary', '/bin/true', '-id', 'c1', '-bundle', bundle, 'delete'],
      { cwd: bundle, encoding: 'buffer', timeout: 30_000 },
    );
    const response = task.DeleteResponse.decode(stdout);
    expect(response.exitStatus).toBe(137);
    expect(response.pid).toBe(0xffffffff); // no init.pid: Go's uint32(-1)
    expect(response.exitedAt?.seconds).toBeGreaterThanOrEqual(before - 1);
    expect(response.exitedAt?.nanos).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
