import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Code } from './code';
import { MessageType } from './frame';
import { FrameDecoder } from './frame-decoder';
import { FrameWriter } from './frame-writer';

/** A sink that accepts one chunk at a time and only when `release()` is called. */
function slowSink() {
  const chunks: Buffer[] = [];
  const pending: Array<() => void> = [];
  const sink = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _enc, callback) {
      chunks.push(chunk);
      pending.push(callback);
    },
    writev(batch, callback) {
      for (const { chunk } of batch) chunks.push(chunk as Buffer);
      pending.push(callback);
    },
  });
  return { sink, chunks, release: () => pending.splice(0).forEach((cb) => cb()) };
}

describe('FrameWriter', () => {
  it('writes whole frames in order and holds later writes until the stream drains', async () => {
    const { sink, chunks, release } = slowSink();
    const writer = new FrameWriter(sink);
    const settled: number[] = [];
    const writes = Array.from({ length: 5 }, (_, i) =>
      writer.write(2 * i + 1, MessageType.Data, 0, [Buffer.alloc(100, i)]).then(() => settled.push(i)),
    );
    await new Promise((r) => setImmediate(r));
    // The first frame filled the 64-byte buffer: the rest wait for 'drain'.
    expect(settled).toEqual([0]);
    while (settled.length < 5) {
      release();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    expect(settled).toEqual([0, 1, 2, 3, 4]);
    const events = new FrameDecoder().push(Buffer.concat(chunks));
    expect(events.map((e) => (e.kind === 'frame' ? [e.header.streamId, e.data[0]] : null))).toEqual([
      [1, 0],
      [3, 1],
      [5, 2],
      [7, 3],
      [9, 4],
    ]);
  });

  it('refuses a frame over the maximum and fails queued writes when the stream closes', async () => {
    const { sink } = slowSink();
    const writer = new FrameWriter(sink, { maxDataLength: 10 });
    await expect(writer.write(1, MessageType.Request, 0, [new Uint8Array(11)])).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    await writer.write(1, MessageType.Request, 0, [new Uint8Array(10)]);
    await writer.write(3, MessageType.Request, 0, [Buffer.alloc(10)]);
    await writer.write(5, MessageType.Request, 0, [Buffer.alloc(10)]);
    // 4 × 20 bytes pass the 64-byte high-water mark: this write is accepted, the next one queued.
    await writer.write(7, MessageType.Request, 0, [Buffer.alloc(10)]);
    const queued = writer.write(9, MessageType.Request, 0, [new Uint8Array(10)]);
    sink.destroy();
    await expect(queued).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await expect(writer.write(11, MessageType.Request, 0, [new Uint8Array(1)])).rejects.toMatchObject({ code: Code.UNAVAILABLE });
  });
});
