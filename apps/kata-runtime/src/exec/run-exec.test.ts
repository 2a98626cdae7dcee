import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfigFile } from '@kata-ts/config';
import { dialPort, hybridVsockOk, readHybridVsockRequest } from '@kata-ts/agent-transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../cli-error';
import { runExec, type ExecDeps } from './run-exec';

let dir: string;
let server: Server | undefined;
const shells: ChildProcess[] = [];
const ports: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kata-runtime-exec-'));
});
afterEach(async () => {
  for (const shell of shells.splice(0)) shell.kill('SIGKILL');
  if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = undefined;
  ports.length = 0;
  rmSync(dir, { recursive: true, force: true });
});

/** Plays kata-proxy + the guest: the hybrid-vsock handshake, then a shell on the console port. */
async function startConsoleSocket(): Promise<string> {
  const path = join(dir, 'proxy.sock');
  server = createServer(async (socket) => {
    const port = await readHybridVsockRequest(socket, path);
    ports.push(port);
    if (port !== 1026) return socket.destroy();
    socket.write(hybridVsockOk(1));
    const shell = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    shells.push(shell);
    socket.pipe(shell.stdin);
    shell.stdout.pipe(socket, { end: false });
    shell.stderr.pipe(socket, { end: false });
    shell.on('close', () => socket.end());
  });
  await new Promise<void>((resolve) => server?.listen(path, resolve));
  return path;
}

function configFile(debugConsole: boolean): string {
  const path = join(dir, 'configuration.toml');
  writeFileSync(path, `[hypervisor.qemu]\nkernel = "/k"\ninitrd = "/i"\n[agent.kata]\ndebug_console_enabled = ${debugConsole}\n`);
  return path;
}

function deps(socketPath: string, config: string, stdin: PassThrough, stdout: PassThrough): ExecDeps {
  return {
    locate: async (id) => {
      if (id !== 'sb1') throw new CliError('SANDBOX_NOT_FOUND', `no sandbox ${id}`);
      return { agentChannel: { kind: 'hybrid-vsock', socketPath, port: 1024 }, configPath: config };
    },
    loadConfig: (recorded) => loadConfigFile(recorded ?? 'unused', 'recorded by the shim', false),
    dial: (channel, port) => dialPort(channel, port, { timeoutMs: 2000 }),
    stdin,
    stdout,
  };
}

describe('kata-runtime exec', () => {
  it('opens a shell on the console port of the sandbox channel and returns when it exits', async () => {
    const socket = await startConsoleSocket();
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let output = '';
    stdout.on('data', (c: Buffer) => (output += c.toString()));
    const done = runExec('sb1', deps(socket, configFile(true), stdin, stdout));
    stdin.write('echo "guest says $((6 * 7))"\nexit 3\n');
    await expect(done).resolves.toBe(0);
    expect(output).toContain('guest says 42');
    expect(ports).toEqual([1026]);
  });

  it('refuses when the configuration disables the debug console, without connecting', async () => {
    const socket = await startConsoleSocket();
    const run = runExec('sb1', deps(socket, configFile(false), new PassThrough(), new PassThrough()));
    await expect(run).rejects.toMatchObject({ code: 'DEBUG_CONSOLE_DISABLED' });
    await expect(run).rejects.toThrow(/debug_console_enabled = true under \[agent\.kata\]/);
    expect(ports).toEqual([]);
  });

  it('says so when the sandbox channel does not answer', async () => {
    const run = runExec('sb1', deps(join(dir, 'gone.sock'), configFile(true), new PassThrough(), new PassThrough()));
    await expect(run).rejects.toMatchObject({ code: 'CONSOLE_UNREACHABLE' });
  });

  it('passes an unknown sandbox error through', async () => {
    const run = runExec('nope', deps(join(dir, 'x.sock'), configFile(true), new PassThrough(), new PassThrough()));
    await expect(run).rejects.toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
  });
});
