/** ttrpc framing constants and the 10-byte header (PROTOCOL.md "Message Frame"). */

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

/** One buffer holding header + data, so a frame always reaches the socket in a single write. */
export function encodeFrame(streamId: number, type: MessageType, flags: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + data.length);
  out.writeUInt32BE(data.length, 0);
  out.writeUInt32BE(streamId >>> 0, 4);
  out[8] = type;
  out[9] = flags;
  out.set(data, HEADER_LENGTH);
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
