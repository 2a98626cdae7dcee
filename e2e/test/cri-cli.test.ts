// The crictl-like CLI (libs/cri-client/src/cli.ts, run with tsx) against containerd's CRI with runc.
import { resolve } from 'node:path';
import { BUSYBOX_IMAGE, runCommand, startContainerd, type CommandResult, type CriContainerd } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAllGone } from '../src/leaks';
import { waitExited } from '../src/two-container-pod';

const root = resolve(import.meta.dirname, '../..');
let containerd: CriContainerd;

async function cli(...args: string[]): Promise<CommandResult> {
  return runCommand(resolve(root, 'node_modules/.bin/tsx'), [resolve(root, 'libs/cri-client/src/cli.ts'), '--address', containerd.address, ...args], {
    timeoutMs: 60_000,
  });
}

beforeAll(async () => {
  containerd = await startContainerd({ cri: {} });
});

afterAll(async () => {
  const { items } = await containerd.cri.client.runtime.listPodSandbox({});
  for (const p of items) await containerd.cri.client.runtime.removePodSandbox({ podSandboxId: p.id }).catch(() => undefined);
  await containerd?.stop();
});

describe('cri CLI', () => {
  it('runp, create, start, exec, ps, pods, stopp, rmp', async () => {
    expect((await cli('version')).stdout).toContain('RuntimeApiVersion: v1');
    const runp = await cli('runp', 'cli-pod', '--log-dir', containerd.cri.logDir, '--annotation', 'team=kata-ts');
    expect(runp).toMatchObject({ code: 0 });
    const podId = runp.stdout.trim();
    expect(podId).toMatch(/^[0-9a-f]{64}$/);

    const create = await cli('create', podId, 'app', BUSYBOX_IMAGE, 'sleep', '600');
    expect(create).toMatchObject({ code: 0 });
    const containerId = create.stdout.trim();
    expect(await cli('start', containerId)).toMatchObject({ code: 0 });

    const exec = await cli('exec', containerId, 'sh', '-c', 'echo hello; exit 4');
    expect(exec).toMatchObject({ code: 4, stdout: 'hello\n' });
    expect((await cli('ps', '--pod', podId)).stdout).toMatch(new RegExp(`${containerId.slice(0, 13)}.*RUNNING\\s+app`));
    expect((await cli('pods')).stdout).toMatch(new RegExp(`${podId.slice(0, 13)}.*READY\\s+cli-pod\\s+default`));
    expect(JSON.parse((await cli('inspectp', podId)).stdout).status.annotations).toEqual({ team: 'kata-ts' });

    const once = await cli('create', '--log', 'once.log', podId, 'once', BUSYBOX_IMAGE, 'sh', '-c', 'echo to-out; echo to-err >&2');
    expect(await cli('start', once.stdout.trim())).toMatchObject({ code: 0 });
    await waitExited(containerd.cri.client, once.stdout.trim());
    expect(await cli('logs', once.stdout.trim())).toMatchObject({ code: 0, stdout: 'to-out\n', stderr: 'to-err\n' });

    expect(await cli('stopp', podId)).toMatchObject({ code: 0 });
    expect(await cli('rmp', podId)).toMatchObject({ code: 0 });
    const gone = await cli('inspectp', podId);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('NOT_FOUND');
    assertAllGone(containerd);
  });
});
