import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, health } from '@kata-ts/protocols';
import { processToProto } from '@kata-ts/oci';
import { busyboxSpec, hasCrun, isRoot, runContainer, startTestAgent, statusOf, toProto, type TestAgent } from './harness';

describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: bad input gets a status, never a crash', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb-errors' }));
    await runContainer(a, 'ok', ['sleep', '1000']);
  }, 30_000);
  afterAll(() => a?.stop(), 30_000);

  const create = (id: string, edit: (s: ReturnType<typeof busyboxSpec>) => void = () => {}) => {
    const spec = busyboxSpec(['true']);
    edit(spec);
    return a.agent.createContainer(agent.CreateContainerRequest.fromPartial({ containerId: id, OCI: toProto(spec) }));
  };

  it.each([
    ['unknown container', () => a.agent.startContainer({ containerId: 'nope' }), 'NOT_FOUND', /nope/],
    ['unknown exec', () => a.agent.readStdout({ containerId: 'ok', execId: 'nope', len: 10 }), 'NOT_FOUND', /exec id "nope"/],
    ['duplicate id', () => create('ok'), 'ALREADY_EXISTS', /"ok" already exists/],
    ['bad id', () => create('../etc'), 'INVALID_ARGUMENT', /container_id/],
    ['missing spec', () => a.agent.createContainer(agent.CreateContainerRequest.fromPartial({ containerId: 'nospec' })), 'INVALID_ARGUMENT', /OCI/],
    ['relative cwd', () => create('cwd', (s) => (s.process!.cwd = 'tmp')), 'INVALID_ARGUMENT', /process.cwd/],
    ['empty args', () => create('args', (s) => (s.process!.args = [])), 'INVALID_ARGUMENT', /process.args/],
    ['missing rootfs', () => create('norootfs'), 'INVALID_ARGUMENT', /root.path/],
    ['bad namespace', () => create('ns', (s) => s.linux!.namespaces!.push({ type: 'bogus' })), 'INVALID_ARGUMENT', /namespaces\[5\].type/],
    ['start twice', () => a.agent.startContainer({ containerId: 'ok' }), 'FAILED_PRECONDITION', /running, not created/],
    ['resume running', () => a.agent.resumeContainer({ containerId: 'ok' }), 'FAILED_PRECONDITION', /not paused/],
    ['bad signal', () => a.agent.signalProcess({ containerId: 'ok', execId: '', signal: 999 }), 'INVALID_ARGUMENT', /signal/],
    ['resize without tty', () => a.agent.ttyWinResize({ containerId: 'ok', execId: 'ok', row: 1, column: 1 }), 'FAILED_PRECONDITION', /no terminal/],
    ['exec without process', () => a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'ok', execId: 'e' })), 'INVALID_ARGUMENT', /process/],
    ['exec id in use', () => a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'ok', execId: 'ok', process: processToProto({ args: ['true'], cwd: '/', user: { uid: 0, gid: 0 } }) })), 'ALREADY_EXISTS', /in use/],
    ['exec of a missing binary', () => a.agent.execProcess(agent.ExecProcessRequest.fromPartial({ containerId: 'ok', execId: 'nobin', process: processToProto({ args: ['/no/such'], cwd: '/', user: { uid: 0, gid: 0 } }) })), 'INTERNAL', /no\/such/],
    ['bad list format', () => a.agent.listProcesses({ containerId: 'ok', format: 'xml', args: [] }), 'INVALID_ARGUMENT', /format/],
    ['clock on a host', () => a.agent.setGuestDateTime({ Sec: 1, Usec: 0 }), 'FAILED_PRECONDITION', /--guest/],
    ['an rpc kata-ts leaves out', () => a.agent.getIPTables({ isIpv6: false }), 'UNIMPLEMENTED', /GetIPTables/],
    ['a route through no interface', () => a.agent.updateRoutes({ routes: { Routes: [{ dest: 'default', gateway: '10.0.0.1', device: 'eth0; reboot', source: '', scope: 0, family: 0, flags: 0, mtu: 0 }] } }), 'INVALID_ARGUMENT', /routes\[0\]\.device/],
  ])('%s', async (_name, call, code, message) => {
    const status = await statusOf(call());
    expect(status.code).toBe(code);
    expect(status.message).toMatch(message);
  });

  it('is still serving afterwards', async () => {
    expect((await a.health.check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    await a.agent.signalProcess({ containerId: 'ok', execId: 'ok', signal: 9 });
    expect((await a.agent.waitProcess({ containerId: 'ok', execId: 'ok' })).status).toBe(137);
  });
});
