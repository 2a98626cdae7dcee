import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineTooLongError, readExactly, readLine } from './read-head';

describe('readHead', () => {
  it('keeps the bytes after the line for the next reader, however the input is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), async (cuts) => {
        const input = Buffer.from('OK 1073741824\nrest of the stream');
        const stream = new PassThrough();
        let offset = 0;
        for (const cut of cuts) {
          stream.write(input.subarray(offset, offset + cut));
          offset += cut;
        }
        stream.end(input.subarray(offset));
        expect(await readLine(stream, 64)).toBe('OK 1073741824');
        const rest: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => rest.push(chunk)); // must flow: no 'readable' left behind
        await new Promise((resolve) => stream.on('end', resolve));
        expect(Buffer.concat(rest).toString()).toBe('rest of the stream');
      }),
      { numRuns: 50 },
    );
  });

  it('returns null at end of stream, rejects over-long lines', async () => {
    const ended = new PassThrough();
    ended.end('no newline');
    expect(await readLine(ended, 64)).toBeNull();
    const long = new PassThrough();
    long.write('x'.repeat(100));
    await expect(readLine(long, 64)).rejects.toBeInstanceOf(LineTooLongError);
  });

  it('reads an exact header and leaves the rest', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.from([0, 0]));
    stream.write(Buffer.from([4, 0, 0x41]));
    expect(await readExactly(stream, 4)).toEqual(Buffer.from([0, 0, 4, 0]));
    expect(stream.read()).toEqual(Buffer.from('A'));
  });

  it('stops on abort', async () => {
    const stream = new PassThrough();
    const controller = new AbortController();
    const pending = readExactly(stream, 4, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});
