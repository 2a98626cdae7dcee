import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent } from '@kata-ts/protocols';
import { processToProto, type OciProcess } from '@kata-ts/oci';
import { hasCrun, isRoot, runContainer, startTestAgent, statusOf, stdoutOf, type TestAgent } from './harness';

// An exec of a container without seccomp, LSM labels or a user namespace is started by the
// monitor itself (native/exec-plan.c); one with seccomp by `crun exec`. The same process in
// both must see the same identity, limits, namespaces and cgroup.

const CAPS = ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const SCRIPT = [
  'grep -E "^(Uid|Gid|Groups|Cap|NoNewPrivs)" /proc/self/status',
  'id; pwd; echo "HOME=$HOME"; echo "G=$GREETING."; env | sort; umask; ulimit -Sn; ulimit -Hn; ulimit -Sc',
  'cat /proc/self/cgroup; ls /proc/self/fd; tty; hostname',
].join('; ');

const execProcess = (terminal: boolean): OciProcess => ({
  args: ['sh', '-c', SCRIPT],
  env: ['PATH=/bin', 'GREETING=two\nlines'],
  cwd: '/etc',
  user: { uid: 1000, gid: 1000, additionalGids: [10, 20] },
  capabilities: { bounding: CAPS, effective: CAPS.slice(0, 2), permitted: CAPS.slice(0, 2), inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] },
  rlimits: [
    { type: 'RLIMIT_NOFILE', soft: 500, hard: 700 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
  ],
  noNewPrivileges: true,
  terminal,
});

/** A seccomp filter that denies only sethostname: its exec goes through crun. */
const SECCOMP = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO' }] };

describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: exec by the monitor and by crun', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb1', hostname: 'podhost' }));
    await runContainer(a, 'plain', ['sleep', '1000']);
    await runContainer(a, 'filtered', ['sleep', '1000'], { edit: (s) => void (s.linux!.seccomp = SECCOMP as never) });
  }, 60_000);
  afterAll(async () => {
    for (const id of ['plain', 'filtered']) await a?.agent.removeContainer({ containerId: id, timeout: 10 }).catch(() => undefined);
    await a?.stop();
  }, 30_000);

  const run = async (containerId: string, execId: string, process: OciProcess) => {
    await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId, execId, process: processToProto(process) }));
    const out = (await stdoutOf(a, containerId, execId)).toString();
    const { status } = await a.agent.waitProcess({ containerId, execId });
    return { status, out };
  };

  for (const terminal of [false, true]) {
    it(`gives the same process the same view${terminal ? ' on a terminal' : ''}`, async () => {
      const mine = await run('plain', `m${+terminal}`, execProcess(terminal));
      const crun = await run('filtered', `c${+terminal}`, execProcess(terminal));
      // The seccomp filter is the only intended difference (the cgroup paths name the container).
      expect(mine.out.replaceAll('/plain', '/<id>')).toBe(crun.out.replaceAll('/filtered', '/<id>'));
      expect(mine.status).toBe(0);
      expect(mine.out).toContain('uid=1000 gid=1000 groups=10,20');
      expect(mine.out).toMatch(/CapAmb:\s+0000000000000020/);
      expect(mine.out).toContain(terminal ? '/dev/pts/' : 'not a tty');
      expect(mine.out).toMatch(/G=two\r?\nlines\./);
    });
  }

  it('joins the init’s namespaces and makes the exec a session leader, as runc does (crun does not)', async () => {
    const script = 'cut -d" " -f1,6 /proc/$$/stat; for ns in mnt pid ipc uts; do [ "$(readlink /proc/self/ns/$ns)" = "$(readlink /proc/1/ns/$ns)" ] && echo $ns; done';
    const { out } = await run('plain', 'sid', { ...execProcess(false), user: { uid: 0, gid: 0 }, capabilities: undefined, args: ['sh', '-c', script] });
    const [ids, ...namespaces] = out.trim().split('\n');
    const [pid, sid] = ids!.split(' ');
    expect(sid).toBe(pid);
    expect(namespaces).toEqual(['mnt', 'pid', 'ipc', 'uts']);
  });

  it('fails an exec that cannot start with the reason, and the container lives on', async () => {
    const cases: [Partial<OciProcess>, RegExp][] = [
      [{ args: ['no-such-binary'] }, /executable file `no-such-binary` not found in \$PATH/],
      [{ args: ['/no/such'] }, /executable file `\/no\/such` does not exist/],
      [{ args: ['/etc'] }, /executable file `\/etc` is not executable/],
      [{ cwd: '/no-such-dir' }, /chdir to cwd `\/no-such-dir`: No such file or directory/],
      [{ rlimits: [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }] }, /invalid rlimit `RLIMIT_BOGUS 1 1`/],
    ];
    for (const [i, [change, reason]] of cases.entries()) {
      const r = await statusOf(a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'plain', execId: `bad${i}`, process: processToProto({ ...execProcess(false), ...change }) })));
      expect(r.message).toMatch(reason);
    }
    expect((await run('plain', 'after', { ...execProcess(false), args: ['true'] })).status).toBe(0);
  });
});
