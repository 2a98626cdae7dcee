import { KataError } from '@kata-ts/errors';

/** Stable codes callers and tests match on. */
export type MuxErrorCode =
  /** The peer broke the yamux protocol (bad version/type, window overrun, duplicate stream...). */
  | 'PROTOCOL'
  /** The peer reset the stream, or refused it (backlog full, going away). */
  | 'STREAM_RESET'
  /** The session closed (transport ended, close()/destroy()) while the stream was open. */
  | 'SESSION_CLOSED'
  /** The peer sent GoAway: no new streams; or GoAway with an error code, ending the session. */
  | 'REMOTE_GOAWAY'
  /** The underlying transport failed. */
  | 'TRANSPORT'
  /** A ping (or keepalive) was not answered in time. */
  | 'TIMEOUT'
  /** All 2^31 stream ids of this side are used. */
  | 'STREAMS_EXHAUSTED'
  /** Our own fault (a bug, a throwing 'stream' listener): the peer gets GoAway(internal error). */
  | 'INTERNAL';

/** Every error the mux emits or throws. */
export class MuxError extends KataError<MuxErrorCode> {}
