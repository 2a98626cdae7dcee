export { Session, type SessionEvents } from './session';
export type { SessionOptions } from './session-options';
export { Stream } from './stream';
export { MuxError, type MuxErrorCode } from './mux-error';
export {
  decodeHeader,
  describeHeader,
  encodeHeader,
  Flag,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_STREAM_WINDOW,
  type FrameHeader,
} from './frame-header';
export { FrameDecoder, type FrameSink } from './frame-decoder';
