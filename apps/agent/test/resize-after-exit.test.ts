import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, health } from '@kata-ts/protocols';
import { hasCrun, isRoot, runContainer, startTestAgent, stdoutOf, type TestAgent } from './harness';

// Regression: a TtyWinResize that lands after the process (and its monitor) exited wrote to
// the monitor's closed control socket; the unhandled EPIPE killed the agent and so the VM.
describe.skipIf(!isRoot || !hasCrun)('kata-agent on the host: resize after exit', () => {
  let a: TestAgent;
  beforeAll(async () => {
    a = await startTestAgent();
    await a.agent.createSandbox(agent.CreateSandboxRequest.fromPartial({ sandboxId: 'sb-resize' }));
  }, 30_000);
  afterAll(() => a?.stop(), 30_000);

  it('survives resizes of a terminal whose process has exited', async () => {
    await runContainer(a, 'gone', ['true'], { edit: (s) => (s.process!.terminal = true) });
    await stdoutOf(a, 'gone');
    expect((await a.agent.waitProcess({ containerId: 'gone', execId: 'gone' })).status).toBe(0);
    for (let i = 0; i < 20; i++) {
      await a.agent.ttyWinResize({ containerId: 'gone', execId: 'gone', row: 10 + i, column: 80 }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await a.health.check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    await a.agent.removeContainer({ containerId: 'gone', timeout: 10 });
  }, 30_000);

  it('survives a 0x0 resize of a live terminal', async () => {
    await runContainer(a, 'live', ['sleep', '1000'], { edit: (s) => (s.process!.terminal = true) });
    await a.agent.ttyWinResize({ containerId: 'live', execId: 'live', row: 0, column: 0 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect((await a.health.check({ service: '' })).status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    await a.agent.removeContainer({ containerId: 'live', timeout: 10 });
  }, 30_000);
});
