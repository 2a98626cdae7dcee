import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHeader, describeHeader, encodeHeader, Flag, FrameType, GoAwayCode } from './frame-header';

const hex = (buf: Buffer) => buf.toString('hex');

describe('frame header (hashicorp/yamux spec.md: version, type, flags, stream id, length; big-endian)', () => {
  // Golden frames, byte for byte as hashicorp/yamux's header.encode writes them.
  it.each([
    ['SYN window update opening stream 1', { type: FrameType.WindowUpdate, flags: Flag.SYN, streamId: 1, length: 0 }, '000100010000000100000000'],
    ['ACK window update accepting stream 2', { type: FrameType.WindowUpdate, flags: Flag.ACK, streamId: 2, length: 0 }, '000100020000000200000000'],
    ['Data, 5 bytes on stream 3', { type: FrameType.Data, flags: 0, streamId: 3, length: 5 }, '000000000000000300000005'],
    ['window update granting 256 KiB', { type: FrameType.WindowUpdate, flags: 0, streamId: 5, length: 262144 }, '000100000000000500040000'],
    ['FIN', { type: FrameType.WindowUpdate, flags: Flag.FIN, streamId: 7, length: 0 }, '000100040000000700000000'],
    ['RST', { type: FrameType.WindowUpdate, flags: Flag.RST, streamId: 9, length: 0 }, '000100080000000900000000'],
    ['ping request 7', { type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: 7 }, '000200010000000000000007'],
    ['ping reply 7', { type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: 7 }, '000200020000000000000007'],
    ['GoAway protocol error', { type: FrameType.GoAway, flags: 0, streamId: 0, length: GoAwayCode.ProtocolError }, '000300000000000000000001'],
    ['top stream id and length', { type: FrameType.Data, flags: 0, streamId: 0xfffffffe, length: 0xffffffff }, '00000000fffffffeffffffff'],
  ])('%s', (_name, header, bytes) => {
    expect(hex(encodeHeader(header))).toBe(bytes);
    expect(decodeHeader(Buffer.from(bytes, 'hex'))).toEqual({ version: 0, ...header });
  });

  it('round-trips every header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        (type, flags, streamId, length) => {
          const header = { type: type as FrameType, flags, streamId, length };
          expect(decodeHeader(encodeHeader(header))).toEqual({ version: 0, ...header });
        },
      ),
    );
  });

  it('writes at an offset', () => {
    const buf = Buffer.alloc(14, 0xaa);
    encodeHeader({ type: FrameType.Ping, flags: Flag.ACK, streamId: 0, length: 1 }, buf, 1);
    expect(hex(buf)).toBe('aa000200020000000000000001aa');
  });

  it('describes a header for logs', () => {
    expect(describeHeader({ type: FrameType.WindowUpdate, flags: Flag.SYN | Flag.ACK, streamId: 3, length: 0 })).toBe(
      'WindowUpdate[SYN|ACK] id=3 len=0',
    );
  });
});
