import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, health } from '@kata-ts/protocols';
import { processToProto } from '@kata-ts/oci';
import { hasCrun, isRoot, runContainer, startTestAgent, statusOf, stderrOf, stdoutOf, WAIT_FOR_PID1, type TestAgent } from './harness';

const proc = (args: string[], terminal = false) =>
  processToProto({ args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 }, terminal });

describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: containers and processes', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb1', hostname: 'podhost', dns: ['nameserver 10.0.0.1', 'search example.com'] }));
  }, 30_000);
  afterAll(() => a?.stop(), 30_000);

  it('answers health Check and Version', async () => {
    expect((await a.health.check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    expect((await a.health.version({ service: '' })).agentVersion).toMatch(/\d+\.\d+/);
    const details = await a.agent.getGuestDetails({ memBlockSize: true, memHotplugProbe: true });
    expect(details.agentDetails?.storageHandlers).toContain('9p');
  });

  it('runs the init process and reports its exit code, stdout and stderr', async () => {
    await runContainer(a, 'exit3', ['sh', '-c', 'echo out; echo err >&2; hostname; cat /etc/resolv.conf; exit 3']);
    const [out, err, wait] = await Promise.all([stdoutOf(a, 'exit3'), stderrOf(a, 'exit3'), a.agent.waitProcess({ containerId: 'exit3', execId: 'exit3' })]);
    expect(wait.status).toBe(3);
    expect(out.toString()).toBe('out\npodhost\nnameserver 10.0.0.1\nsearch example.com\n');
    expect(err.toString()).toBe('err\n');
    await a.agent.removeContainer({ containerId: 'exit3', timeout: 10 });
  });

  it('reports 128+signal for a signalled process, SIGKILL for SIGTERM on an init without a handler', async () => {
    await runContainer(a, 'sig', ['sleep', '1000']);
    await a.agent.signalProcess({ containerId: 'sig', execId: 'sig', signal: 15 });
    expect((await a.agent.waitProcess({ containerId: 'sig', execId: 'sig' })).status).toBe(137);
    await a.agent.removeContainer({ containerId: 'sig', timeout: 10 });

    await runContainer(a, 'trap', ['sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
    await new Promise((r) => setTimeout(r, 300));
    await a.agent.signalProcess({ containerId: 'trap', execId: '', signal: 10 });
    expect((await a.agent.waitProcess({ containerId: 'trap', execId: 'trap' })).status).toBe(42);
    await a.agent.removeContainer({ containerId: 'trap', timeout: 10 });
  });

  it('round-trips stdin to stdout and delivers EOF on CloseStdin', async () => {
    await runContainer(a, 'cat', ['cat']);
    const out = stdoutOf(a, 'cat');
    const payload = Buffer.from('hello through the pipe\n'.repeat(1000));
    expect((await a.agent.writeStdin({ containerId: 'cat', execId: 'cat', data: payload })).len).toBe(payload.length);
    await a.agent.closeStdin({ containerId: 'cat', execId: 'cat' });
    expect((await out).equals(payload)).toBe(true);
    expect((await a.agent.waitProcess({ containerId: 'cat', execId: 'cat' })).status).toBe(0);
    await a.agent.removeContainer({ containerId: 'cat', timeout: 10 });
  });

  it('gives stdin a 1 MiB pipe: 512 KiB of stdin is taken while the process reads none of it', async () => {
    await runContainer(a, 'deaf', ['sleep', '1000']);
    const payload = Buffer.alloc(512 << 10, 1);
    // With the default 64 KiB pipe this write waits for a reader that never comes (the test times out).
    expect((await a.agent.writeStdin({ containerId: 'deaf', execId: 'deaf', data: payload })).len).toBe(payload.length);
    await a.agent.signalProcess({ containerId: 'deaf', execId: 'deaf', signal: 9 });
    expect((await a.agent.waitProcess({ containerId: 'deaf', execId: 'deaf' })).status).toBe(137);
    await a.agent.removeContainer({ containerId: 'deaf', timeout: 10 });
  });

  it('delivers 10 MB of stdout without loss', async () => {
    await runContainer(a, 'big', ['seq', '1', '1400000']);
    const out = await stdoutOf(a, 'big');
    let expected = '';
    for (let i = 1; i <= 1_400_000; i++) expected += `${i}\n`;
    expect(out.length).toBe(expected.length);
    expect(out.length).toBeGreaterThan(10_000_000);
    expect(out.toString() === expected).toBe(true);
    expect((await a.agent.waitProcess({ containerId: 'big', execId: 'big' })).status).toBe(0);
    await a.agent.removeContainer({ containerId: 'big', timeout: 10 });
  });

  it('gives a terminal its size and follows TtyWinResize', async () => {
    await runContainer(a, 'tty', ['sh', '-c', 'tty; stty size; read x; stty size'], {
      edit: (s) => {
        s.process!.terminal = true;
        s.process!.consoleSize = { height: 30, width: 100 };
      },
    });
    // Resize only once the first `stty size` has answered.
    let text = '';
    while (!text.includes('30 100\r\n')) text += Buffer.from((await a.agent.readStdout({ containerId: 'tty', execId: 'tty', len: 4096 })).data).toString();
    await a.agent.ttyWinResize({ containerId: 'tty', execId: 'tty', row: 40, column: 120 });
    await a.agent.writeStdin({ containerId: 'tty', execId: 'tty', data: Buffer.from('go\n') });
    text += (await stdoutOf(a, 'tty')).toString();
    expect((await a.agent.waitProcess({ containerId: 'tty', execId: 'tty' })).status).toBe(0);
    expect(text).toMatch(/^\/dev\/pts\/0\r\n30 100\r\n/);
    expect(text).toMatch(/40 120\r\n$/);
    expect((await stderrOf(a, 'tty')).length).toBe(0);
    await a.agent.removeContainer({ containerId: 'tty', timeout: 10 });
  });

  it('execs processes (pipes and tty) in a running container', async () => {
    await runContainer(a, 'host', ['sleep', '1000']);
    await a.agent.execProcess({ containerId: 'host', execId: 'e1', process: proc(['sh', '-c', 'echo in-exec; exit 5']), stdinPort: 0, stdoutPort: 0, stderrPort: 0 } as never);
    const out = await stdoutOf(a, 'host', 'e1');
    expect((await a.agent.waitProcess({ containerId: 'host', execId: 'e1' })).status).toBe(5);
    expect(out.toString()).toBe('in-exec\n');
    await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'host', execId: 'e2', process: proc(['sh', '-c', 'tty'], true) }));
    expect((await stdoutOf(a, 'host', 'e2')).toString()).toMatch(/^\/dev\/pts\/\d+\r\n$/);
    // A finished exec id can be reused, as containerd does.
    await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'host', execId: 'e1', process: proc(['true']) }));
    expect((await a.agent.waitProcess({ containerId: 'host', execId: 'e1' })).status).toBe(0);
    await a.agent.removeContainer({ containerId: 'host', timeout: 10 });
  });

  it('forgets execs once waited and drained: no fds or records pile up', async () => {
    await runContainer(a, 'probe', ['sleep', '1000']);
    const fds = () => readdirSync(`/proc/${a.child.pid}/fd`).length;
    const probe = async (i: number) => {
      await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'probe', execId: `p${i}`, process: proc(['echo', 'ok']) }));
      const [out, status] = await Promise.all([stdoutOf(a, 'probe', `p${i}`), a.agent.waitProcess({ containerId: 'probe', execId: `p${i}` })]);
      await stderrOf(a, 'probe', `p${i}`);
      expect([out.toString(), status.status]).toEqual(['ok\n', 0]);
    };
    await probe(0);
    const before = fds();
    for (let i = 1; i <= 20; i++) await probe(i);
    await new Promise((r) => setTimeout(r, 100));
    expect(fds()).toBeLessThanOrEqual(before + 2);
    expect((await statusOf(a.agent.waitProcess({ containerId: 'probe', execId: 'p20' }))).code).toBe('NOT_FOUND');
    await a.agent.removeContainer({ containerId: 'probe', timeout: 10 });
  });

  it('lets two containers share a pid namespace', async () => {
    await runContainer(a, 'pod-a', ['sleep', '1001'], { sandboxPidns: true });
    await runContainer(a, 'pod-b', ['sh', '-c', WAIT_FOR_PID1 + 'ps -o pid,args'], { sandboxPidns: true });
    const out = (await stdoutOf(a, 'pod-b')).toString();
    expect(out).toMatch(/^\s*1 sleep 1001$/m);
    await a.agent.removeContainer({ containerId: 'pod-b', timeout: 10 });
    await a.agent.removeContainer({ containerId: 'pod-a', timeout: 10 });
  });

  it('lists processes as json and as a ps table', async () => {
    await runContainer(a, 'ps', ['sleep', '1002']);
    const pids = JSON.parse(Buffer.from((await a.agent.listProcesses({ containerId: 'ps', format: 'json', args: [] })).processList).toString()) as number[];
    expect(pids.length).toBe(1);
    const table = Buffer.from((await a.agent.listProcesses({ containerId: 'ps', format: 'table', args: [] })).processList).toString();
    const lines = table.trim().split('\n');
    expect(lines[0]).toMatch(/PID/);
    expect(lines.slice(1).join('\n')).toMatch(/sleep 1002/);
    expect(lines.length).toBe(2);
    await a.agent.removeContainer({ containerId: 'ps', timeout: 10 });
  });

  it('removes a container leaving no processes, mounts or crun state behind', async () => {
    await runContainer(a, 'gone', ['sh', '-c', 'sleep 1000 & sleep 1000']);
    await a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'gone', execId: 'x', process: proc(['sleep', '999']) }));
    const pids = JSON.parse(Buffer.from((await a.agent.listProcesses({ containerId: 'gone', format: 'json', args: [] })).processList).toString()) as number[];
    expect(pids.length).toBe(3);
    expect(a.mounts().some((m) => m.includes('/gone/'))).toBe(false); // container mounts live in its own namespace
    await a.agent.removeContainer({ containerId: 'gone', timeout: 10 });
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect((await a.agent.waitProcess({ containerId: 'gone', execId: 'gone' }).catch((e: Error) => e)) instanceof Error).toBe(true);
  });
});
