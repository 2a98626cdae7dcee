/** yamux framing (hashicorp/yamux spec.md): a 12-byte big-endian header before every frame. */

export const HEADER_SIZE = 12;
export const PROTOCOL_VERSION = 0;

/** Every stream starts with this window in both directions; only Data payload bytes count. */
export const INITIAL_STREAM_WINDOW = 256 * 1024;

export const FrameType = {
  Data: 0,
  WindowUpdate: 1,
  Ping: 2,
  GoAway: 3,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const Flag = {
  SYN: 0x1,
  ACK: 0x2,
  FIN: 0x4,
  RST: 0x8,
} as const;

/** The length field of a GoAway frame. */
export const GoAwayCode = {
  Normal: 0,
  ProtocolError: 1,
  InternalError: 2,
} as const;
export type GoAwayCode = (typeof GoAwayCode)[keyof typeof GoAwayCode];

export interface FrameHeader {
  type: FrameType;
  flags: number;
  streamId: number;
  /** Data: payload bytes that follow; WindowUpdate: window delta; Ping: opaque value; GoAway: code. */
  length: number;
}

export function encodeHeader(header: FrameHeader, target: Buffer = Buffer.allocUnsafe(HEADER_SIZE), offset = 0): Buffer {
  target[offset] = PROTOCOL_VERSION;
  target[offset + 1] = header.type;
  target.writeUInt16BE(header.flags, offset + 2);
  target.writeUInt32BE(header.streamId, offset + 4);
  target.writeUInt32BE(header.length, offset + 8);
  return target;
}

/**
 * Reads the header at `offset`. Returns the raw version and type so the caller decides what is a
 * protocol error; `buf` must hold at least HEADER_SIZE bytes from `offset`.
 */
export function decodeHeader(buf: Buffer, offset = 0): FrameHeader & { version: number } {
  return {
    version: buf.readUInt8(offset),
    type: buf.readUInt8(offset + 1) as FrameType,
    flags: buf.readUInt16BE(offset + 2),
    streamId: buf.readUInt32BE(offset + 4),
    length: buf.readUInt32BE(offset + 8),
  };
}

const TYPE_NAMES = ['Data', 'WindowUpdate', 'Ping', 'GoAway'];

/** `WindowUpdate[SYN|ACK] id=3 len=0`: for logs and error messages. */
export function describeHeader(header: FrameHeader): string {
  const flags = Object.entries(Flag)
    .filter(([, bit]) => header.flags & bit)
    .map(([name]) => name);
  const type = TYPE_NAMES[header.type] ?? `type${header.type}`;
  return `${type}[${flags.join('|')}] id=${header.streamId} len=${header.length}`;
}
