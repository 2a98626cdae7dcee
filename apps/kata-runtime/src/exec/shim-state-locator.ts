import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../cli-error';
import type { SandboxLocation, SandboxLocator } from './sandbox-locator';

/** Where the shim keeps one directory per running sandbox. */
export const DEFAULT_STATE_ROOT = '/run/kata-ts/sandboxes';
const STATE_FILE = 'sandbox.json';

/**
 * Reads `<root>/<sandbox-id>/sandbox.json`, which the shim writes when the sandbox's VM is up:
 * `{ "agentUri": "hvsock://.../proxy.sock:1024", "configPath": "/opt/kata/.../configuration.toml" }`.
 */
export function shimStateLocator(root: string = DEFAULT_STATE_ROOT): SandboxLocator {
  return async (sandboxId) => {
    if (!/^[\w.-]+$/.test(sandboxId)) throw new CliError('SANDBOX_NOT_FOUND', `invalid sandbox id ${JSON.stringify(sandboxId)}`);
    const file = join(root, sandboxId, STATE_FILE);
    let state: Partial<SandboxLocation>;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as Partial<SandboxLocation>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError('SANDBOX_NOT_FOUND', `${file}: ${(err as Error).message}`);
      const running = listSandboxes(root);
      throw new CliError(
        'SANDBOX_NOT_FOUND',
        `no running sandbox ${sandboxId} (${running.length ? `running: ${running.join(', ')}` : `none running under ${root}`})`,
      );
    }
    if (typeof state.agentUri !== 'string') throw new CliError('SANDBOX_NOT_FOUND', `${file} has no agentUri`);
    return { agentUri: state.agentUri, configPath: typeof state.configPath === 'string' ? state.configPath : undefined };
  };
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
