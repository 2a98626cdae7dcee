import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentChannel } from '@kata-ts/agent-transport';
import { AGENT_PORT } from '@kata-ts/guest-contract';
import { CliError } from '../cli-error';
import type { SandboxLocation, SandboxLocator } from './sandbox-locator';

/** The shim's run directory: `$KATA_TS_RUN_DIR`, else /run/kata-ts (apps/shim run-paths.ts). */
export function defaultRunDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KATA_TS_RUN_DIR || '/run/kata-ts';
}

/**
 * Finds a sandbox in the shim's layout, `<run-dir>/sandboxes/<id>/`: its `state.json` names the
 * `agentChannel` and `configPath`; a sandbox still starting has no state yet, but its agent is
 * already behind kata-proxy's `proxy.sock` there.
 */
export function shimStateLocator(runDir: string): SandboxLocator {
  const root = join(runDir, 'sandboxes');
  return async (sandboxId) => {
    if (!/^[\w.-]+$/.test(sandboxId)) throw new CliError('SANDBOX_NOT_FOUND', `invalid sandbox id ${JSON.stringify(sandboxId)}`);
    const dir = join(root, sandboxId);
    if (!existsSync(dir)) {
      const running = listSandboxes(root);
      throw new CliError(
        'SANDBOX_NOT_FOUND',
        `no running sandbox ${sandboxId} (${running.length ? `running: ${running.join(', ')}` : `none under ${root}`})`,
      );
    }
    const state = readState(join(dir, 'state.json'));
    const proxySocket = join(dir, 'proxy.sock');
    const agentChannel: AgentChannel | undefined = isChannel(state.agentChannel)
      ? state.agentChannel
      : existsSync(proxySocket)
        ? { kind: 'hybrid-vsock', socketPath: proxySocket, port: AGENT_PORT }
        : undefined;
    if (!agentChannel) throw new CliError('SANDBOX_NOT_FOUND', `sandbox ${sandboxId} has no agent channel (none in state.json, no ${proxySocket})`);
    return { agentChannel, configPath: typeof state.configPath === 'string' ? state.configPath : undefined };
  };
}

function readState(file: string): Partial<Record<keyof SandboxLocation, unknown>> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<keyof SandboxLocation, unknown>>;
  } catch {
    // A sandbox still starting has no state.json yet: the proxy socket is enough.
    return {};
  }
}

function isChannel(value: unknown): value is AgentChannel {
  const c = value as Partial<Record<string, unknown>> | undefined;
  if (typeof c !== 'object' || c === null || typeof c.port !== 'number') return false;
  return c.kind === 'vsock' ? typeof c.cid === 'number' : (c.kind === 'hybrid-vsock' || c.kind === 'serial') && typeof c.socketPath === 'string';
}

function listSandboxes(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}
