/** ttrpc framing constants and the 10-byte header (PROTOCOL.md "Message Frame"). */
import { byteLength, SPLICE_MIN, type Encoded } from './encode-message';

export const HEADER_LENGTH = 10;
/** The protocol's maximum data length (4 MiB); larger frames are skipped and answered with RESOURCE_EXHAUSTED. */
export const DEFAULT_MAX_DATA_LENGTH = 4 << 20;

export const MessageType = {
  Request: 1,
  Response: 2,
  Data: 3,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const Flag = {
  /** Request/Data: the sender will send no more data on this stream. */
  RemoteClosed: 0x01,
  /** Request: the sender will stream more data after the request. */
  RemoteOpen: 0x02,
  /** Data: the frame carries no message (normally with RemoteClosed). */
  NoData: 0x04,
} as const;

export interface FrameHeader {
  /** Data length in bytes, not counting the header. */
  length: number;
  streamId: number;
  /** Raw type byte: unknown types are passed through so receivers can ignore them. */
  type: number;
  flags: number;
}

export interface Frame {
  header: FrameHeader;
  data: Uint8Array;
}

/** One buffer holding header + data. */
export function encodeFrame(streamId: number, type: MessageType, flags: number, data: Uint8Array): Buffer {
  return Buffer.concat(encodeFrameParts(streamId, type, flags, [data]));
}

/**
 * A frame as the buffers to write in order: the header with the small parts next to it in one
 * buffer (a small frame is a single write), large parts as they are (not copied, see Encoded).
 */
export function encodeFrameParts(streamId: number, type: MessageType, flags: number, data: Encoded): Buffer[] {
  const header = Buffer.allocUnsafe(HEADER_LENGTH);
  header.writeUInt32BE(byteLength(data), 0);
  header.writeUInt32BE(streamId >>> 0, 4);
  header[8] = type;
  header[9] = flags;
  const out: Buffer[] = [];
  let small: Uint8Array[] = [header];
  for (const part of data) {
    if (part.byteLength < SPLICE_MIN) {
      small.push(part);
      continue;
    }
    if (small.length > 0) out.push(Buffer.concat(small));
    small = [];
    out.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  }
  if (small.length > 0) out.push(Buffer.concat(small));
  return out;
}

export function readHeader(bytes: Uint8Array, offset: number): FrameHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, HEADER_LENGTH);
  return {
    length: view.getUint32(0),
    streamId: view.getUint32(4),
    type: view.getUint8(8),
    flags: view.getUint8(9),
  };
}
