import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoLeaks, buildBusyboxImage, importBusyboxImage, startContainerd, type PrivateContainerd } from '../src/index';

describe('private containerd + busybox image (runc)', () => {
  let dir: string;
  let containerd: PrivateContainerd | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kata-ts-harness-'));
    containerd = await startContainerd({ dir });
  }, 60_000);

  afterAll(async () => {
    await containerd?.stop();
    assertNoLeaks({ dir });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('builds the image deterministically', () => {
    expect(buildBusyboxImage()).toBe(buildBusyboxImage());
  });

  it('imports busybox and runs it with runc, exit code passed through', async () => {
    const image = await importBusyboxImage(containerd!);
    const ok = await containerd!.ctr(['run', '--rm', image, 'h1', 'sh', '-c', 'echo hello from $(uname -s); ls /bin/sh']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('hello from Linux\n/bin/sh\n');
    const fail = await containerd!.ctr(['run', '--rm', image, 'h2', 'sh', '-c', 'exit 7']);
    expect(fail.code).toBe(7);
  }, 60_000);

  it("gives an image the config's User, which containerd makes the process's user", async () => {
    const image = await importBusyboxImage(containerd!, { user: '1234:5678' });
    expect(image).toBe('docker.io/kata-ts/busybox:user-1234-5678');
    const r = await containerd!.ctr(['run', '--rm', image, 'h4', 'sh', '-c', 'echo $(id -u) $(id -g)']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '1234 5678\n', '']);
  }, 60_000);

  it('sees its processes and tells leaks apart', async () => {
    const started = await containerd!.ctr(['run', '-d', 'docker.io/kata-ts/busybox:latest', 'h3', 'sleep', '600']);
    expect(started.code).toBe(0);
    expect(() => assertNoLeaks({ dir })).toThrow(/process .*(containerd|shim|sleep)/);
    await containerd!.ctr(['task', 'kill', '-s', 'KILL', 'h3']);
    for (let i = 0; i < 50; i++) {
      const d = await containerd!.ctr(['task', 'delete', 'h3']);
      if (d.code === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await containerd!.ctr(['container', 'rm', 'h3'])).code).toBe(0);
  }, 60_000);
});
