import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import type { SandboxRequest } from '@kata-ts/guest-contract';
import { Sandbox, type ContainerRequest } from './sandbox';

let dir: string;
let sandbox: Sandbox;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-sandbox-'));
  const config = { stateRoot: dir, crun: 'crun', monitor: 'unused', sysHelper: 'unused', ip: 'ip', sharedDir: dir, guest: false };
  sandbox = new Sandbox(config, createLogger({ name: 'test', level: 'silent' }));
  sandbox.cgroups.directories = () => []; // destroy must not touch this host's cgroups
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sandboxRequest = (sandboxId: string): SandboxRequest => ({ sandboxId, hostname: '', dns: [], storages: [], sandboxPidns: false, kernelModules: [] });
const containerRequest: ContainerRequest = { containerId: 'c1', execId: 'c1', spec: { ociVersion: '1.1.0' }, storages: [], sandboxPidns: false };

describe('Sandbox state', () => {
  it('none → created → destroyed; calls out of order fail naming the state and change nothing', async () => {
    await expect(sandbox.createContainer(containerRequest)).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
      message: 'cannot createContainer: the sandbox is none, not created',
    });
    await expect(sandbox.create(sandboxRequest('bad/id'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(sandbox.id).toBeUndefined();
    await sandbox.create(sandboxRequest('sb1'));
    expect(sandbox.id).toBe('sb1');
    await expect(sandbox.create(sandboxRequest('sb2'))).rejects.toThrow('cannot create: the sandbox is created, not none');
    expect(sandbox.id).toBe('sb1');
    await sandbox.destroy();
    await sandbox.destroy(); // again, as the agent's shutdown does after a DestroySandbox
    await expect(sandbox.createContainer(containerRequest)).rejects.toThrow('the sandbox is destroyed, not created');
    await expect(sandbox.create(sandboxRequest('sb3'))).rejects.toThrow('cannot create: the sandbox is destroyed, not none');
  });

  it('serialises CreateSandbox: a second one issued meanwhile fails', async () => {
    const results = await Promise.allSettled([sandbox.create(sandboxRequest('a')), sandbox.create(sandboxRequest('b'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(sandbox.id).toBe('a');
  });

  it('destroys a sandbox that was never created (the agent shutting down)', async () => {
    await sandbox.destroy();
    await expect(sandbox.create(sandboxRequest('late'))).rejects.toThrow('the sandbox is destroyed');
  });
});
