import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, Flag, HEADER_LENGTH, MessageType } from './frame';
import { FrameDecoder, type DecoderEvent } from './frame-decoder';

const frames = [
  encodeFrame(1, MessageType.Request, 0, Buffer.from('hello')),
  encodeFrame(3, MessageType.Data, Flag.RemoteClosed | Flag.NoData, new Uint8Array(0)),
  encodeFrame(0xfffffffd, MessageType.Response, 0, Buffer.alloc(300, 7)),
];
const stream = Buffer.concat(frames);

function summary(events: DecoderEvent[]): string[] {
  return events.map((e) =>
    e.kind === 'frame'
      ? `${e.header.streamId}/${e.header.type}/${e.header.flags}/${Buffer.from(e.data).toString('hex')}`
      : `oversized ${e.header.streamId}/${e.header.length}`,
  );
}

function feed(decoder: FrameDecoder, chunks: Uint8Array[]): DecoderEvent[] {
  return chunks.flatMap((c) => decoder.push(c));
}

const expected = summary(new FrameDecoder().push(stream));

describe('FrameDecoder', () => {
  it('decodes many frames from one chunk', () => {
    expect(expected).toHaveLength(3);
    expect(expected[0]).toBe(`1/1/0/${Buffer.from('hello').toString('hex')}`);
    expect(expected[1]).toBe('3/3/5/');
    expect(expected[2]?.startsWith('4294967293/2/0/0707')).toBe(true);
  });

  it('gives the same frames when the stream is split at every byte offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const got = summary(feed(decoder, [stream.subarray(0, cut), stream.subarray(cut)]));
      expect(got, `cut at ${cut}`).toEqual(expected);
      expect(decoder.idle).toBe(true);
    }
  });

  it('decodes byte by byte', () => {
    const decoder = new FrameDecoder();
    const got = summary(feed(decoder, [...stream].map((b) => Uint8Array.of(b))));
    expect(got).toEqual(expected);
  });

  it('reports an oversized frame and skips its payload without buffering it', () => {
    const decoder = new FrameDecoder({ maxDataLength: 16 });
    const big = encodeFrame(5, MessageType.Request, 0, Buffer.alloc(1000, 1));
    const next = encodeFrame(7, MessageType.Request, 0, Buffer.from('ok'));
    const events: DecoderEvent[] = [];
    for (let i = 0; i < big.length; i += 100) {
      events.push(...decoder.push(big.subarray(i, i + 100)));
      expect(decoder.buffered).toBeLessThanOrEqual(16 + HEADER_LENGTH);
    }
    events.push(...decoder.push(next));
    expect(summary(events)).toEqual(['oversized 5/1000', `7/1/0/${Buffer.from('ok').toString('hex')}`]);
  });

  it('accepts a frame of exactly the maximum size', () => {
    const decoder = new FrameDecoder({ maxDataLength: 16 });
    const events = decoder.push(encodeFrame(1, MessageType.Request, 0, Buffer.alloc(16, 2)));
    expect(events[0]?.kind).toBe('frame');
  });

  it('treats a non-zero reserved first byte as oversized (length ≥ 16 MiB)', () => {
    const decoder = new FrameDecoder();
    const header = Buffer.from([1, 0, 0, 0, 0, 0, 0, 1, 1, 0]);
    expect(summary(decoder.push(header))).toEqual([`oversized 1/${0x01000000}`]);
    expect(decoder.idle).toBe(false);
  });

  it('fuzz: random chunkings decode the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.nat(), type: fc.integer({ min: 0, max: 255 }), flags: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 64 }) }), { maxLength: 8 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 12 }),
        (specs, cuts) => {
          const bytes = Buffer.concat(specs.map((s) => encodeFrame(s.id, s.type as MessageType, s.flags, s.data)));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(bytes.subarray(last, p));
            last = p;
          }
          chunks.push(bytes.subarray(last));
          const events = feed(new FrameDecoder({ maxDataLength: 64 }), chunks);
          expect(events.map((e) => (e.kind === 'frame' ? [e.header.streamId, e.header.type, e.header.flags, [...e.data]] : 'x'))).toEqual(
            specs.map((s) => [s.id, s.type, s.flags, [...s.data]]),
          );
        },
      ),
    );
  });

  it('fuzz: random bytes never throw and never buffer more than max + header', () => {
    const max = 256;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 20 }), (chunks) => {
        const decoder = new FrameDecoder({ maxDataLength: max });
        for (const chunk of chunks) {
          for (const event of decoder.push(chunk)) {
            if (event.kind === 'frame') expect(event.data.length).toBe(event.header.length);
            else expect(event.header.length).toBeGreaterThan(max);
          }
          expect(decoder.buffered).toBeLessThanOrEqual(max + HEADER_LENGTH);
        }
      }),
      { numRuns: 300 },
    );
  });
});
