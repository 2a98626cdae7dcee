import type { Readable } from 'node:stream';

/**
 * Given everything buffered so far, returns how many leading bytes form the head, or
 * undefined to keep reading. May throw to give up (e.g. a line that is too long).
 */
export type HeadSplitter = (buffered: Buffer) => number | undefined;

/**
 * Reads a protocol head (a handshake line, a port header) off a stream without consuming
 * anything after it: the bytes that follow are unshifted back, because they already belong to
 * whoever reads the stream next. Resolves null if the stream ends first. Removing the
 * 'readable' listener afterwards leaves the stream ready for pipe(), 'data' or iteration.
 */
export function readHead(stream: Readable, split: HeadSplitter, signal?: AbortSignal): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (result: Buffer | null | Error) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', finish);
      signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = stream.read() as Buffer | null) !== null) {
        buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
        let length: number | undefined;
        try {
          length = split(buffered);
        } catch (error) {
          return finish(error as Error);
        }
        if (length !== undefined) {
          if (length < buffered.length) stream.unshift(buffered.subarray(length));
          return finish(buffered.subarray(0, length));
        }
      }
    };
    const onEnd = () => finish(null);
    const onAbort = () => finish(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', finish);
  });
}

/** Reads one '\n'-terminated line of at most `maxLength` bytes; null if the stream ended first. */
export async function readLine(stream: Readable, maxLength: number, signal?: AbortSignal): Promise<string | null> {
  const head = await readHead(
    stream,
    (buffered) => {
      const newline = buffered.indexOf(0x0a);
      if (newline >= 0) return newline + 1;
      if (buffered.length > maxLength) throw new LineTooLongError(maxLength);
      return undefined;
    },
    signal,
  );
  return head && head.subarray(0, head.length - 1).toString('latin1');
}

/** Reads exactly `length` bytes; null if the stream ended first. */
export function readExactly(stream: Readable, length: number, signal?: AbortSignal): Promise<Buffer | null> {
  return readHead(stream, (buffered) => (buffered.length >= length ? length : undefined), signal);
}

export class LineTooLongError extends Error {
  override name = 'LineTooLongError';
  constructor(maxLength: number) {
    super(`line longer than ${maxLength} bytes`);
  }
}
