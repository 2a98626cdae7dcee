import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@kata-ts/logging';
import { FakeAgent } from '../../test/fake-agent';
import { IoCopier } from './io-copier';
import type { ProcessIo } from './process-io';

function copy(agent: FakeAgent) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const log = { warn: vi.fn(), debug: vi.fn() };
  const copier = new IoCopier(agent, 'c1', 'e1', { stdout, stderr } as unknown as ProcessIo, log as unknown as Logger);
  // Ends within a second or fails: a copy that never ends would hold the exit event forever.
  const done = Promise.race([copier.outputDone, new Promise((_, reject) => setTimeout(() => reject(new Error('copy did not end')), 1000))]);
  return { done, out, log };
}

describe('IoCopier output', () => {
  it("ends quietly at the agent's end of stream (OUT_OF_RANGE), after the last byte", async () => {
    const agent = new FakeAgent();
    const { done, out, log } = copy(agent);
    agent.emit('c1', 'e1', 'last words\n');
    agent.exitProcess('c1', 'e1', 0);
    await done;
    expect(Buffer.concat(out).toString()).toBe('last words\n');
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('ends each copy with a warning naming the container and exec when a read fails otherwise (UNAVAILABLE)', async () => {
    const agent = new FakeAgent();
    const { done, log } = copy(agent);
    await agent.close();
    await done;
    expect(log.warn).toHaveBeenCalledTimes(2);
    for (const stream of ['stdout', 'stderr']) {
      expect(log.warn).toHaveBeenCalledWith({ err: 'ttrpc: connection closed', stream, container: 'c1', exec: 'e1' }, 'output copy failed');
    }
  });
});

describe('IoCopier stdin', () => {
  /** Resolves once the fake agent saw CloseStdin, or fails after a second. */
  async function stdinClosed(agent: FakeAgent): Promise<void> {
    for (let i = 0; i < 100 && !agent.proc('c1', 'e1').stdinClosed; i++) await new Promise((r) => setTimeout(r, 10));
    if (!agent.proc('c1', 'e1').stdinClosed) throw new Error('CloseStdin never came');
  }

  it('CloseIO lets through every byte containerd wrote before it, then closes the guest stdin', async () => {
    const agent = new FakeAgent();
    const stdin = new PassThrough();
    const log = { warn: vi.fn(), debug: vi.fn() };
    const copier = new IoCopier(agent, 'c1', 'e1', { stdin } as unknown as ProcessIo, log as unknown as Logger);
    const sent = Buffer.alloc(1 << 20, 'x');
    for (let i = 0; i < sent.length; i += 64 << 10) stdin.write(sent.subarray(i, i + (64 << 10)));
    // containerd closed its end of the FIFO, then CloseIO: the buffered 1 MiB is still to copy.
    await copier.closeStdin();
    stdin.end();
    await stdinClosed(agent);
    expect(Buffer.concat(agent.proc('c1', 'e1').stdin).equals(sent)).toBe(true);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('sends what stdin already holds in one WriteStdin of at most 1 MiB, not one per chunk', async () => {
    const agent = new FakeAgent();
    const stdin = new PassThrough();
    const log = { warn: vi.fn(), debug: vi.fn() };
    const sent = Buffer.alloc(2 << 20, 'y');
    for (let i = 0; i < sent.length; i += 64 << 10) stdin.write(sent.subarray(i, i + (64 << 10)));
    stdin.end();
    new IoCopier(agent, 'c1', 'e1', { stdin } as unknown as ProcessIo, log as unknown as Logger);
    await stdinClosed(agent);
    const writes = agent.proc('c1', 'e1').stdin;
    expect(Buffer.concat(writes).equals(sent)).toBe(true);
    expect(writes.map((w) => w.length)).toEqual([1 << 20, 1 << 20]);
  });

  it('keeps two WriteStdin in flight, in order, so the channel carries the next batch while the guest writes the last', async () => {
    const agent = new FakeAgent();
    const answers: (() => void)[] = [];
    let most = 0;
    const write = agent.writeStdin.bind(agent);
    agent.writeStdin = (containerId, execId, data) => {
      const sent = write(containerId, execId, data);
      most = Math.max(most, answers.length + 1);
      return new Promise<number>((resolve) => answers.push(() => void sent.then(resolve)));
    };
    const stdin = new PassThrough();
    const log = { warn: vi.fn(), debug: vi.fn() };
    new IoCopier(agent, 'c1', 'e1', { stdin } as unknown as ProcessIo, log as unknown as Logger);
    const sent = Buffer.from(Array.from({ length: 4 << 20 }, (_, i) => i % 253));
    stdin.end(sent);
    while (!agent.proc('c1', 'e1').stdinClosed) {
      await new Promise((r) => setTimeout(r, 5));
      answers.shift()?.();
    }
    expect(most).toBe(2);
    expect(Buffer.concat(agent.proc('c1', 'e1').stdin).equals(sent)).toBe(true);
  });

  it('cuts a stdin that never ends after CloseIO, with a warning', async () => {
    const agent = new FakeAgent();
    const stdin = new PassThrough();
    const log = { warn: vi.fn(), debug: vi.fn() };
    const copier = new IoCopier(agent, 'c1', 'e1', { stdin } as unknown as ProcessIo, log as unknown as Logger, 50);
    stdin.write('partial');
    await copier.closeStdin();
    await stdinClosed(agent);
    expect(Buffer.concat(agent.proc('c1', 'e1').stdin).toString()).toBe('partial');
    expect(log.warn).toHaveBeenCalledWith({ container: 'c1', exec: 'e1', ms: 50 }, 'stdin still open after CloseIO: cut');
  });

  it('closes the guest stdin at once when the process has none (CRI stdin: false, ctr --null-io), as /dev/null would end', async () => {
    const agent = new FakeAgent();
    const log = { warn: vi.fn(), debug: vi.fn() };
    new IoCopier(agent, 'c1', 'e1', {} as unknown as ProcessIo, log as unknown as Logger);
    await stdinClosed(agent);
  });
});
