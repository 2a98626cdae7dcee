import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shimStateLocator } from './shim-state-locator';

let runDir: string;
let server: Server | undefined;
beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'kata-runtime-run-'));
});
afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = undefined;
  rmSync(runDir, { recursive: true, force: true });
});

describe('shimStateLocator', () => {
  it('takes agentChannel and configPath from state.json', async () => {
    const dir = join(runDir, 'sandboxes', 'sb1');
    mkdirSync(dir, { recursive: true });
    const agentChannel = { kind: 'vsock', cid: 3, port: 1024 };
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ agentChannel, configPath: '/c.toml', other: 1 }));
    await expect(shimStateLocator(runDir)('sb1')).resolves.toEqual({ agentChannel, configPath: '/c.toml' });
  });

  it("falls back to the sandbox's kata-proxy socket", async () => {
    const dir = join(runDir, 'sandboxes', 'sb2');
    mkdirSync(dir, { recursive: true });
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(join(dir, 'proxy.sock'), resolve));
    // A malformed channel in state.json counts as none.
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ agentChannel: { kind: 'hybrid-vsock', port: 1024 } }));
    await expect(shimStateLocator(runDir)('sb2')).resolves.toEqual({
      agentChannel: { kind: 'hybrid-vsock', socketPath: `${dir}/proxy.sock`, port: 1024 },
      configPath: undefined,
    });
  });

  it('names the running sandboxes when the id is unknown, and rejects path tricks', async () => {
    mkdirSync(join(runDir, 'sandboxes', 'a'), { recursive: true });
    await expect(shimStateLocator(runDir)('b')).rejects.toThrow('no running sandbox b (running: a)');
    await expect(shimStateLocator(runDir)('../a')).rejects.toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
    await expect(shimStateLocator(join(runDir, 'none'))('b')).rejects.toThrow(/none under/);
  });
});
