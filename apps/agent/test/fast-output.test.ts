import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent } from '@kata-ts/protocols';
import { processToProto } from '@kata-ts/oci';
import { hasCrun, isRoot, runContainer, startTestAgent, stderrOf, stdoutOf, type TestAgent } from './harness';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const proc = (args: string[]) => processToProto({ args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } });

/**
 * Regression: a writer that floods stdout and exits at once must not lose its last bytes.
 * Reads and WaitProcess run concurrently, as the shim drives them.
 */
describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: fast output', () => {
  let a: TestAgent;
  // 16 MiB and a partial last dd block (not a multiple of 64 KiB).
  const data = randomBytes(16 * 1024 * 1024 + 52_928);
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb-fast' }));
    await runContainer(a, 'fast', ['sleep', '1000'], {
      edit: () => writeFileSync(join(a.shared, 'fast', 'rootfs', 'data'), data),
    });
  }, 60_000);
  afterAll(() => a?.stop(), 30_000);

  it('delivers every byte of an exec that writes 16 MiB with dd and exits at once (5 runs)', async () => {
    for (let i = 0; i < 5; i++) {
      const execId = `dd${i}`;
      await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'fast', execId, process: proc(['dd', 'if=/data', 'bs=65536']) }));
      const [out, , status] = await Promise.all([stdoutOf(a, 'fast', execId), stderrOf(a, 'fast', execId), a.agent.waitProcess({ containerId: 'fast', execId })]);
      expect(status.status).toBe(0);
      expect({ run: i, length: out.length, sha: sha256(out) }).toEqual({ run: i, length: data.length, sha: sha256(data) });
    }
  });

  it('delivers every byte of an init process that writes 16 MiB with dd and exits at once', async () => {
    await runContainer(a, 'fast-init', ['dd', 'if=/data', 'bs=65536'], {
      edit: () => writeFileSync(join(a.shared, 'fast-init', 'rootfs', 'data'), data),
    });
    const [out, , status] = await Promise.all([stdoutOf(a, 'fast-init'), stderrOf(a, 'fast-init'), a.agent.waitProcess({ containerId: 'fast-init', execId: 'fast-init' })]);
    expect(status.status).toBe(0);
    expect({ length: out.length, sha: sha256(out) }).toEqual({ length: data.length, sha: sha256(data) });
    await a.agent.removeContainer({ containerId: 'fast-init', timeout: 10 });
  });
});
