import { execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@kata-ts/logging';
import { FakeAgent } from '../../test/fake-agent';
import { IoCopier } from './io-copier';
import { ProcessIo } from './process-io';

let dir: string;
const log = createLogger({ name: 'test', level: 'silent' });
const ctx = { containerId: 'c1', namespace: 'default' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shim-io-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Everything a reader of `path` gets until EOF; with `pauseMs`, `chunk` bytes at a time with pauses. */
function readAll(path: string, chunk?: number, pauseMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = createReadStream(path, chunk ? { highWaterMark: chunk } : {});
    stream.on('data', (c) => {
      chunks.push(c as Buffer);
      if (pauseMs) {
        stream.pause();
        setTimeout(() => stream.resume(), pauseMs);
      }
    });
    stream.on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

describe('ProcessIo + IoCopier over real FIFOs', () => {
  it('copies 4 MiB of stdout and stderr without loss and closes the FIFOs at exit (reader sees EOF)', async () => {
    const [stdout, stderr] = ['out', 'err'].map((n) => join(dir, n));
    execFileSync('mkfifo', [stdout!, stderr!]);
    // containerd's side: readers open first (as cio does before Create).
    const outRead = readAll(stdout!);
    const errRead = readAll(stderr!);
    const io = await ProcessIo.open({ stdin: '', stdout: stdout!, stderr: stderr!, terminal: false }, ctx);
    const agent = new FakeAgent();
    const copier = new IoCopier(agent, 'c1', 'c1', io, log);
    const big = Buffer.alloc(4 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    for (let off = 0; off < big.length; off += 100_000) agent.emit('c1', '', big.subarray(off, off + 100_000));
    agent.emit('c1', '', 'oops\n', 'err');
    agent.exitProcess('c1', '', 0);
    await copier.outputDone;
    await io.close();
    expect((await outRead).equals(big)).toBe(true);
    expect((await errRead).toString()).toBe('oops\n');
  });

  it('gives up on output nobody reads: drained() answers false once nothing moved, close() drops the rest', async () => {
    const stdout = join(dir, 'out');
    execFileSync('mkfifo', [stdout]);
    const io = await ProcessIo.open({ stdin: '', stdout, stderr: '', terminal: false }, ctx);
    const agent = new FakeAgent();
    const copier = new IoCopier(agent, 'c1', 'c1', io, log);
    agent.emit('c1', '', Buffer.alloc(512 << 10, 'z'));
    agent.exitProcess('c1', '', 0);
    expect(await copier.drained(200)).toBe(false);
    copier.stop();
    expect(await io.close(100)).toBeGreaterThan(0);
  });

  it('waits for a slow reader that keeps reading: drained() is true once every byte went out', async () => {
    const stdout = join(dir, 'out');
    execFileSync('mkfifo', [stdout]);
    const io = await ProcessIo.open({ stdin: '', stdout, stderr: '', terminal: false }, ctx);
    const agent = new FakeAgent();
    const copier = new IoCopier(agent, 'c1', 'c1', io, log);
    const sent = Buffer.alloc(1 << 20, 's');
    agent.emit('c1', '', sent);
    agent.exitProcess('c1', '', 0);
    // 64 KiB every 100 ms: slower than the copy (1.6 s in all), never idle for the stall bound
    // (15 reads' worth, so a loaded machine's late timers cannot pass for a stalled reader).
    const reader = readAll(stdout, 64 << 10, 100);
    expect(await copier.drained(1_500)).toBe(true);
    expect(await io.close()).toBe(0);
    expect((await reader).length).toBe(sent.length);
  }, 20_000);

  it('forwards stdin and its EOF (CloseStdin)', async () => {
    const stdin = join(dir, 'in');
    execFileSync('mkfifo', [stdin]);
    const writer = createWriteStream(stdin);
    const io = await ProcessIo.open({ stdin, stdout: '', stderr: '', terminal: false }, ctx);
    const agent = new FakeAgent();
    new IoCopier(agent, 'c1', 'c1', io, log);
    writer.end('line 1\nline 2\n');
    for (let i = 0; i < 200 && !agent.proc('c1', '').stdinClosed; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Buffer.concat(agent.proc('c1', '').stdin).toString()).toBe('line 1\nline 2\n');
    expect(agent.calls).toEqual(['closeStdin c1 c1']);
    await io.close();
  });

  it('file:// appends stdout and stderr to one file', async () => {
    const file = join(dir, 'sub', 'task.log');
    const io = await ProcessIo.open({ stdin: '', stdout: `file://${file}`, stderr: `file://${file}`, terminal: false }, ctx);
    const agent = new FakeAgent();
    const copier = new IoCopier(agent, 'c1', 'c1', io, log);
    agent.emit('c1', '', 'to stdout\n');
    await new Promise((r) => setTimeout(r, 20));
    agent.emit('c1', '', 'to stderr\n', 'err');
    agent.exitProcess('c1', '', 0);
    await copier.outputDone;
    await io.close();
    expect(readFileSync(file, 'utf8')).toBe('to stdout\nto stderr\n');
  });

  it('binary:// runs the logger with fds 3/4, waits for its ready fd, passes args and env', async () => {
    const logger = join(dir, 'logger.sh');
    const out = join(dir, 'logged');
    writeFileSync(logger, `#!/bin/sh\necho "$CONTAINER_ID $CONTAINER_NAMESPACE $*" > ${out}.meta\nexec 5>&-\ncat <&3 > ${out}.out &\ncat <&4 > ${out}.err\nwait\n`);
    chmodSync(logger, 0o755);
    const uri = `binary://${logger}?tag=web&flag=`;
    const io = await ProcessIo.open({ stdin: '', stdout: uri, stderr: uri, terminal: false }, ctx);
    const agent = new FakeAgent();
    const copier = new IoCopier(agent, 'c1', 'c1', io, log);
    agent.emit('c1', '', 'hello out\n');
    agent.emit('c1', '', 'hello err\n', 'err');
    agent.exitProcess('c1', '', 0);
    await copier.outputDone;
    await io.close();
    expect(readFileSync(`${out}.meta`, 'utf8')).toBe('c1 default tag web flag\n');
    expect(readFileSync(`${out}.out`, 'utf8')).toBe('hello out\n');
    expect(readFileSync(`${out}.err`, 'utf8')).toBe('hello err\n');
  });

  it('rejects unknown schemes and stdin with file://', async () => {
    await expect(ProcessIo.open({ stdin: '', stdout: 'tcp://x', stderr: '', terminal: false }, ctx)).rejects.toThrow(/unsupported stdio URI scheme "tcp"/);
    await expect(ProcessIo.open({ stdin: '/x', stdout: 'file:///tmp/x', stderr: '', terminal: false }, ctx)).rejects.toThrow(/stdin is not supported/);
  });
});
