import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './frame-decoder';
import { encodeHeader, Flag, FrameType, type FrameHeader } from './frame-header';
import { MuxError } from './mux-error';

interface Decoded {
  header: FrameHeader;
  payload: Buffer;
}

function frame(header: FrameHeader, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([encodeHeader(header), payload]);
}

/** Decodes `chunks` and returns the frames, payloads joined, checking event order. */
function decodeAll(chunks: Buffer[]): Decoded[] {
  const out: Decoded[] = [];
  let open: { header: FrameHeader; pieces: Buffer[] } | undefined;
  const decoder = new FrameDecoder({
    header: (header) => {
      expect(open).toBeUndefined();
      open = { header, pieces: [] };
    },
    data: (chunk) => {
      expect(chunk.length).toBeGreaterThan(0);
      open?.pieces.push(Buffer.from(chunk));
    },
    end: (header) => {
      expect(open?.header).toBe(header);
      out.push({ header, payload: Buffer.concat(open?.pieces ?? []) });
      open = undefined;
    },
  });
  for (const chunk of chunks) decoder.push(chunk);
  expect(open).toBeUndefined();
  return out;
}

const sample: Decoded[] = [
  { header: { type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 }, payload: Buffer.alloc(0) },
  { header: { type: FrameType.Data, flags: 0, streamId: 1, length: 5 }, payload: Buffer.from('hello') },
  { header: { type: FrameType.Data, flags: Flag.FIN, streamId: 1, length: 0 }, payload: Buffer.alloc(0) },
  { header: { type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: 42 }, payload: Buffer.alloc(0) },
  { header: { type: FrameType.Data, flags: 0, streamId: 3, length: 3 }, payload: Buffer.from([0, 1, 2]) },
  { header: { type: FrameType.GoAway, flags: 0, streamId: 0, length: 0 }, payload: Buffer.alloc(0) },
];
const wire = Buffer.concat(sample.map((f) => frame(f.header, f.payload)));

describe('FrameDecoder', () => {
  it('decodes frames from one chunk', () => {
    expect(decodeAll([wire])).toEqual(sample);
  });

  it('decodes frames byte by byte', () => {
    expect(decodeAll([...wire].map((b) => Buffer.from([b])))).toEqual(sample);
  });

  it('decodes frames cut at any points', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 })), (cuts) => {
        const points = [0, ...cuts.sort((x, y) => x - y), wire.length];
        const chunks = points.slice(1).map((end, i) => wire.subarray(points[i], end));
        expect(decodeAll(chunks)).toEqual(sample);
      }),
    );
  });

  it('rejects an unknown version', () => {
    const bad = Buffer.from('010000000000000100000000', 'hex');
    expect(() => decodeAll([bad])).toThrow(MuxError);
    expect(() => decodeAll([bad])).toThrow(/version 1/);
  });

  it('rejects an unknown type', () => {
    expect(() => decodeAll([Buffer.from('000400000000000000000000', 'hex')])).toThrow(/frame type 4/);
  });

  it('streams a large payload without waiting for all of it', () => {
    const pieces: number[] = [];
    const decoder = new FrameDecoder({ header: () => {}, data: (c) => pieces.push(c.length), end: () => pieces.push(-1) });
    decoder.push(encodeHeader({ type: FrameType.Data, flags: 0, streamId: 1, length: 0xffffffff }));
    decoder.push(Buffer.alloc(1000));
    expect(pieces).toEqual([1000]);
  });

  it('stops delivering after stop()', () => {
    const seen: number[] = [];
    const decoder: FrameDecoder = new FrameDecoder({
      header: (h) => {
        seen.push(h.streamId);
        if (h.streamId === 1) decoder.stop();
      },
      data: () => {},
      end: () => {},
    });
    decoder.push(wire);
    expect(seen).toEqual([1]);
  });
});
