import { mkdirSync } from 'node:fs';
import type { Logger } from '@kata-ts/logging';
import { agent, health } from '@kata-ts/protocols';
import { Server } from '@kata-ts/ttrpc';
import type { Listener } from '@kata-ts/agent-transport';
import type { DebugConsoleConfig } from './console/debug-console-config';
import { agentService } from './rpc/agent-service';
import { healthService } from './rpc/health-service';
import type { AgentConfig } from './sandbox/agent-config';
import { Sandbox } from './sandbox/sandbox';
import { listenConsole, listenOn } from './transport/listen';

export interface RunningAgent {
  sandbox: Sandbox;
  /** Stops serving and tears the sandbox down (containers, mounts, cgroups). */
  stop(): Promise<void>;
}

/**
 * Builds the sandbox and the ttrpc server (grpc.AgentService + grpc.Health) and listens on
 * `uris` (each must work) and `optionalUris` (the guest's channels: one failing is logged, but
 * at least one endpoint must listen). With `debugConsole` (only when the kernel command line
 * asks for it), a shell is also served on its port of every vsock/serial channel.
 */
export async function startAgent(
  config: AgentConfig,
  uris: string[],
  log: Logger,
  optionalUris: string[] = [],
  debugConsole?: DebugConsoleConfig,
): Promise<RunningAgent> {
  mkdirSync(config.stateRoot, { recursive: true });
  const sandbox = new Sandbox(config, log);
  const server = new Server({ logger: log.child({ subsystem: 'ttrpc' }) });
  server.register(agent.AgentServiceDefinition, agentService(sandbox, log.child({ subsystem: 'rpc' })));
  server.register(health.HealthDefinition, healthService());
  const listeners: Listener[] = [];
  for (const uri of uris) listeners.push(await listenOn(server, uri, log));
  for (const uri of optionalUris) {
    try {
      listeners.push(await listenOn(server, uri, log));
    } catch (err) {
      log.warn({ err, uri }, 'channel unavailable');
    }
  }
  if (listeners.length === 0) throw new Error(`no endpoint could listen (tried ${[...uris, ...optionalUris].join(', ') || 'none'})`);
  if (debugConsole) listeners.push(...(await listenConsole(listeners, config.sysHelper, debugConsole, log)));
  let stopping: Promise<void> | undefined;
  return {
    sandbox,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(listeners.map((l) => l.close()));
        await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 2000).unref())]);
        await sandbox.destroy();
      })()),
  };
}
