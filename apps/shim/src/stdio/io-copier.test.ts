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
