import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent } from '@kata-ts/protocols';
import { hasCrun, isRoot, runContainer, startTestAgent, stderrOf, stdoutOf, type TestAgent } from './harness';

/** The jail honours the spec: every field below travels oci.proto → agent plan → crun. */
describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: the jail follows the spec', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb-jail' }));
  }, 30_000);
  afterAll(() => a?.stop(), 30_000);

  it('applies user, groups, cwd, env, rlimits, caps, no_new_privs, readonly root, masked/readonly paths, seccomp', async () => {
    const script = [
      'id',
      'pwd',
      'echo "FOO=$FOO"',
      'ulimit -n',
      'grep -E "^(NoNewPrivs|CapEff|CapBnd)" /proc/self/status',
      'touch /rootfs-write 2>/dev/null && echo root-writable || echo root-readonly',
      'echo x > /tmp/ok && echo tmp-writable',
      'wc -c < /proc/meminfo',
      '(echo 1 > /proc/sys/kernel/domainname) 2>/dev/null && echo sys-writable || echo sys-readonly',
      'mkdir /tmp/blocked 2>/dev/null && echo mkdir-allowed || echo mkdir-denied',
      'ls -d /proc/1/root 2>/dev/null | wc -l',
    ].join('; ');
    await runContainer(a, 'jail', ['sh', '-c', script], {
      edit: (s) => {
        s.root!.readonly = true;
        s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 20] };
        s.process!.cwd = '/tmp';
        s.process!.env = ['PATH=/bin', 'FOO=bar baz'];
        s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 256, soft: 200 }];
        s.process!.capabilities = { bounding: ['CAP_KILL'], effective: [], permitted: [], inheritable: [], ambient: [] };
        s.process!.noNewPrivileges = true;
        s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['mode=1777'] });
        s.linux!.maskedPaths = ['/proc/meminfo'];
        s.linux!.readonlyPaths = ['/proc/sys'];
        s.linux!.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86_64'],
          syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
        };
      },
    });
    const [out, err] = await Promise.all([stdoutOf(a, 'jail'), stderrOf(a, 'jail')]);
    expect(err.toString()).toBe('');
    const lines = out.toString().trim().split('\n');
    expect(lines[0]).toMatch(/^uid=1000 gid=1000 groups=10(\(\w+\))?,20/);
    expect(lines.slice(1, 4)).toEqual(['/tmp', 'FOO=bar baz', '200']);
    expect(lines).toContain('NoNewPrivs:\t1');
    expect(lines).toContain('CapEff:\t0000000000000000');
    expect(lines).toContain('CapBnd:\t0000000000000020');
    expect(lines.slice(7)).toEqual(['root-readonly', 'tmp-writable', '0', 'sys-readonly', 'mkdir-denied', '1']);
    expect((await a.agent.waitProcess({ containerId: 'jail', execId: 'jail' })).status).toBe(0);
    await a.agent.removeContainer({ containerId: 'jail', timeout: 10 });
  });
});
