import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { Code, TtrpcError } from '@kata-ts/ttrpc';
import { FakeAgent } from '../../test/fake-agent';
import { ExecProcess } from './exec-process';
import { InitProcess } from './init-process';
import { SANDBOX_DIED_STATUS, type ProcessHost, type TaskProcess } from './task-process';

let dir: string;
let agent: FakeAgent;
let events: string[];
let host: ProcessHost;
const log = createLogger({ name: 'test', level: 'silent' });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shim-proc-'));
  agent = new FakeAgent();
  events = [];
  host = {
    agent,
    log,
    namespace: 'default',
    pid: () => 4242,
    onExit: (p: TaskProcess) => events.push(`exit ${p.execId || p.containerId} ${p.exit?.status}`),
    tearDown: async (reason) => void events.push(`tearDown: ${reason}`),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fileStdio = () => ({ stdin: '', stdout: `file://${join(dir, 'out.log')}`, stderr: `file://${join(dir, 'out.log')}`, terminal: false });

describe('InitProcess state machine', () => {
  it('created → running → stopped → deleted, TaskStart before TaskExit even for an instant exit', async () => {
    const init = await InitProcess.create('c1', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    expect(init.status).toBe('created');
    agent.emit('c1', '', 'hello\n');
    agent.exitProcess('c1', '', 3); // exits "before" start returns
    await init.start(() => events.push('start'));
    const exit = await init.wait();
    expect(exit.status).toBe(3);
    expect(events).toEqual(['start', 'exit c1 3']);
    expect(init.status).toBe('stopped');
    expect(readFileSync(join(dir, 'out.log'), 'utf8')).toBe('hello\n');
    await init.kill(15, false); // a kill after exit is a no-op, as in Kata
    const deleted = await init.delete();
    expect(deleted.status).toBe(3);
    expect(init.status).toBe('deleted');
    await expect(init.start(() => undefined)).rejects.toThrow(/not found/);
    expect(agent.calls).toContain('removeContainer c1');
  });

  it('refuses illegal operations with the state in the message and changes nothing', async () => {
    const init = await InitProcess.create('c2', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    await expect(init.pause()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION', message: 'cannot pause task c2: process is created' });
    await init.start(() => undefined);
    await expect(init.start(() => undefined)).rejects.toThrow(/cannot start task c2: process is running/);
    await expect(init.delete()).rejects.toThrow(/cannot delete task c2: process is running/);
    await init.pause();
    expect(init.status).toBe('paused');
    await expect(init.resize(80, 24)).rejects.toThrow(/process is paused/);
    await init.resume();
    await init.kill(9, true);
    expect((await init.wait()).status).toBe(137);
    expect(agent.calls).toEqual(expect.arrayContaining(['pauseContainer c2', 'resumeContainer c2', 'signalProcess c2  9']));
  });

  it('records an exit through the state table, after the operation in flight', async () => {
    const init = await InitProcess.create('c4', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    await init.start(() => undefined);
    let unfreeze!: () => void;
    agent.pauseContainer = () => new Promise<void>((resolve) => (unfreeze = resolve));
    const paused = init.pause();
    agent.exitProcess('c4', '', 137);
    await new Promise((r) => setTimeout(r, 50));
    expect([init.status, init.exit, events]).toEqual(['running', undefined, []]); // queued behind the pause
    unfreeze();
    await paused;
    expect((await init.wait()).status).toBe(137);
    expect([init.status, events]).toEqual(['stopped', ['exit c4 137']]);
    await init.markExited(255); // a second report (the sandbox died afterwards) changes nothing
    expect(init.exit?.status).toBe(137);
  });

  it('stops and deletes, in bounded time, a process whose stdout FIFO nobody reads (issue 14, item 1)', async () => {
    const [stdout, stderr] = ['out', 'err'].map((n) => join(dir, n));
    execFileSync('mkfifo', [stdout!, stderr!]);
    // ctr opened the FIFOs and went away: nobody reads, so 64 KiB fill the pipe and writes queue.
    const stdio = { stdin: '', stdout: stdout!, stderr: stderr!, terminal: false };
    const init = await InitProcess.create('c5', { ociVersion: '1.1.0' }, stdio, host, { timeoutMs: 1000, sandboxPidns: false });
    await init.start(() => undefined);
    agent.emit('c5', '', Buffer.alloc(1 << 20, 'y'));
    agent.exitProcess('c5', '', 137);
    expect((await init.wait()).status).toBe(137);
    expect(init.status).toBe('stopped');
    expect((await init.delete()).status).toBe(137);
  }, 20_000);

  it('kill answers the truth when the agent connection closes with the signal in flight (issue 14, item 7)', async () => {
    const init = await InitProcess.create('c6', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    await init.start(() => undefined);
    // Delivered: the process exits, and the sandbox is stopped under the call.
    agent.signalProcess = async () => {
      agent.exitProcess('c6', '', 137);
      throw new TtrpcError(Code.UNAVAILABLE, 'ttrpc: connection closed');
    };
    await expect(init.kill(9, true)).resolves.toBeUndefined();
    expect(init.status).toBe('stopped');

    // Not delivered: the connection closed and the process lives on.
    const other = await InitProcess.create('c7', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    await other.start(() => undefined);
    agent.signalProcess = async () => {
      throw new TtrpcError(Code.UNAVAILABLE, 'ttrpc: connection closed');
    };
    await expect(other.kill(15, true)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'kill task c7: the agent is unreachable (ttrpc: connection closed); the signal may not have been delivered',
    });
  }, 20_000);

  it('a SIGKILL the agent does not answer before its deadline (hung VM) tears the sandbox down and ends in STOPPED; other signals fail', async () => {
    const init = await InitProcess.create('c8', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    await init.start(() => undefined);
    agent.signalProcess = async () => {
      throw new TtrpcError(Code.DEADLINE_EXCEEDED, 'ttrpc: deadline exceeded');
    };
    await expect(init.kill(15, true)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('the signal may not have been delivered') });
    expect(init.status).toBe('running');
    expect(events).toEqual([]);
    await expect(init.kill(9, true)).resolves.toBeUndefined();
    expect(init.status).toBe('stopped');
    expect((await init.wait()).status).toBe(137);
    expect(events).toEqual(['exit c8 137', 'tearDown: SIGKILL of task c8 did not reach the agent (ttrpc: deadline exceeded)']);
  });

  it('reports 255 when the sandbox dies under a running process', async () => {
    const init = await InitProcess.create('c3', { ociVersion: '1.1.0' }, fileStdio(), host, { timeoutMs: 1000, sandboxPidns: false });
    await init.start(() => undefined);
    agent.close();
    expect((await init.wait()).status).toBe(SANDBOX_DIED_STATUS);
  });
});

describe('ExecProcess', () => {
  it('starts in the agent on Start, forwards stdin from a FIFO and its close', async () => {
    const stdin = join(dir, 'stdin');
    execFileSync('mkfifo', [stdin]);
    const exec = new ExecProcess('c1', 'e1', { cwd: '/', user: { uid: 0, gid: 0 }, args: ['cat'] }, { stdin, stdout: '', stderr: '', terminal: false }, host);
    expect(agent.calls).toEqual([]);
    // Our writer end, as ctr holds it.
    const writer = new Promise<void>((resolve) => {
      import('node:fs').then(({ createWriteStream }) => {
        const w = createWriteStream(stdin);
        w.end('typed input', resolve);
      });
    });
    await exec.start(() => undefined);
    await writer;
    for (let i = 0; i < 100 && !agent.proc('c1', 'e1').stdinClosed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.concat(agent.proc('c1', 'e1').stdin).toString()).toBe('typed input');
    expect(agent.calls).toEqual(['execProcess c1 e1', 'closeStdin c1 e1']);
    agent.exitProcess('c1', 'e1', 0);
    expect((await exec.wait()).status).toBe(0);
  });

  it('an exec the guest cannot start fails Start, then Wait answers at once and Kill is a no-op (CRI ExecSync cleans up with both)', async () => {
    agent.execProcess = async () => {
      throw new Error('crun failed (exit 255): executable file `/nope` not found in $PATH');
    };
    const exec = new ExecProcess('c1', 'e2', { cwd: '/', user: { uid: 0, gid: 0 }, args: ['/nope'] }, { stdin: '', stdout: '', stderr: '', terminal: false }, host);
    await expect(exec.start(() => events.push('started'))).rejects.toThrow(/not found/);
    await exec.kill(9, true);
    expect((await exec.wait()).status).toBe(255);
    expect(exec.status).toBe('stopped');
    expect(events).toEqual([]); // it never ran: no TaskStart, no TaskExit
    await exec.delete();
  });
});
