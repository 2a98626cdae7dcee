import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent } from '@kata-ts/protocols';
import { processToProto } from '@kata-ts/oci';
import { hasCrun, isRoot, runContainer, startTestAgent, stdoutOf, type TestAgent } from './harness';

// 2^64-1: what containerd writes for "unlimited"; it only survives the trip as a bigint.
const RLIMIT_INFINITY = 18446744073709551615n;

describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: 64-bit rlimits reach crun exactly', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb-rl', hostname: 'rl' }));
  }, 30_000);
  afterAll(() => a?.stop(), 30_000);

  it('applies RLIMIT_INFINITY to the init process and to an exec', async () => {
    await runContainer(a, 'rl', ['sh', '-c', 'ulimit -c; ulimit -Hn; ulimit -Sn; sleep 100'], {
      edit: (s) => {
        s.process!.rlimits = [
          { type: 'RLIMIT_CORE', hard: RLIMIT_INFINITY, soft: RLIMIT_INFINITY },
          { type: 'RLIMIT_NOFILE', hard: 1024, soft: 512 },
        ];
      },
    });
    const init = stdoutOf(a, 'rl');
    const rlimits = [{ type: 'RLIMIT_STACK', hard: RLIMIT_INFINITY, soft: 8 << 20 }];
    const exec = processToProto({ args: ['sh', '-c', 'ulimit -Hs; ulimit -Ss'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, rlimits });
    await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'rl', execId: 'x', process: exec }));
    expect((await stdoutOf(a, 'rl', 'x')).toString()).toBe(`unlimited\n${8 << 10}\n`);
    await a.agent.signalProcess({ containerId: 'rl', execId: 'rl', signal: 9 });
    expect((await init).toString()).toBe('unlimited\n1024\n512\n');
    await a.agent.removeContainer({ containerId: 'rl', timeout: 10 });
  }, 60_000);
});
