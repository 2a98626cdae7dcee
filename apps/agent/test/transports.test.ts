import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '@kata-ts/mux';
import { agent, health } from '@kata-ts/protocols';
import { Client, createClient } from '@kata-ts/ttrpc';
import { connectPort, openSerialPort } from '@kata-ts/agent-transport';
import { hasCrun, isRoot, readAll, startTestAgent, toProto, busyboxSpec, type TestAgent } from './harness';

const hasSocat = existsSync('/usr/bin/socat');

/**
 * The guest's channel without a VM: the agent listens on serial://<pty>:1024 (virtio-serial +
 * mux + port preamble), the test is kata-proxy on the other end of a socat pty pair.
 */
describe.skipIf(!isRoot || !hasCrun || !hasSocat)('kata-agent over serial:// (mux)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-serial-'));
  const guestPty = join(dir, 'guest');
  const hostPty = join(dir, 'host');
  let socat: ChildProcess;
  let a: TestAgent;
  let session: Session;
  let client: Client;

  beforeAll(async () => {
    socat = spawn('socat', [`pty,raw,echo=0,link=${guestPty}`, `pty,raw,echo=0,link=${hostPty}`], { stdio: 'ignore' });
    for (let i = 0; i < 200 && !(existsSync(guestPty) && existsSync(hostPty)); i++) await new Promise((r) => setTimeout(r, 10));
    a = await startTestAgent({ listen: [`serial://${guestPty}:1024`] });
    const transport = openSerialPort(hostPty);
    transport.on('error', () => {});
    session = new Session(transport, { role: 'client', keepAliveIntervalMs: false });
    session.on('error', () => {});
    client = new Client(await connectPort(session, 1024, { timeoutMs: 5000 }));
  }, 30_000);

  afterAll(async () => {
    await client?.close().catch(() => {});
    session?.destroy();
    await a?.stop();
    socat?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('serves health and runs a container through the mux stream', async () => {
    expect((await createClient(health.HealthDefinition, client).check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    const rpc = createClient(agent.AgentServiceDefinition, client);
    await rpc.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb-serial' }));
    a.rootfsFor('viaserial');
    await rpc.createContainer(agent.CreateContainerRequest.fromPartial({ containerId: 'viaserial', OCI: toProto(busyboxSpec(['sh', '-c', 'seq 1 100000'])) }));
    await rpc.startContainer({ containerId: 'viaserial' });
    const out = await readAll((len) => rpc.readStdout({ containerId: 'viaserial', execId: '', len }));
    expect(out.toString().split('\n').length).toBe(100_001);
    expect((await rpc.waitProcess({ containerId: 'viaserial', execId: '' })).status).toBe(0);
    await rpc.removeContainer({ containerId: 'viaserial', timeout: 10 });
  });
});
