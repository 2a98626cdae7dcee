import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EndOfStreamError } from '../errors';
import { OutputBuffer } from './output-buffer';

describe('OutputBuffer', () => {
  it('returns data in order, up to the requested length, then EOF after end', async () => {
    const source = new PassThrough();
    const buffer = new OutputBuffer('stdout', source, 1024);
    source.write('hello ');
    source.write('world');
    expect(Buffer.concat(await buffer.read(3)).toString()).toBe('hel');
    expect(Buffer.concat(await buffer.read(100)).toString()).toBe('lo world');
    const pending = buffer.read(10);
    source.end('!');
    expect(Buffer.concat(await pending).toString()).toBe('!');
    await expect(buffer.read(10)).rejects.toBeInstanceOf(EndOfStreamError);
  });

  it('sees the end of a stream that ended empty before it was attached', async () => {
    const source = new PassThrough();
    source.end();
    source.read(0);
    await new Promise((r) => setImmediate(r));
    expect(source.readableEnded).toBe(true);
    await expect(new OutputBuffer('stderr', source).read(10)).rejects.toBeInstanceOf(EndOfStreamError);
  });

  it('pauses the source at the bound and resumes when drained', async () => {
    const source = new PassThrough({ highWaterMark: 16 });
    const buffer = new OutputBuffer('stdout', source, 64);
    const chunk = Buffer.alloc(32, 1);
    for (let i = 0; i < 4; i++) source.write(chunk);
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    expect(buffer.buffered).toBeLessThanOrEqual(96);
    let total = 0;
    source.end();
    for (;;) {
      try {
        total += Buffer.concat(await buffer.read(50)).length;
      } catch (error) {
        expect(error).toBeInstanceOf(EndOfStreamError);
        break;
      }
    }
    expect(total).toBe(128);
  });
});
