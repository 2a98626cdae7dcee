import { KataError } from '@kata-ts/errors';

/** Stable codes for everything this library throws; callers switch on `code`, never on text. */
export type VsockErrorCode =
  /** vsock.node was not found or could not be loaded. */
  | 'ADDON_NOT_FOUND'
  /** A URI this library does not understand. */
  | 'BAD_URI'
  /** A socket call failed (the cause carries errno and syscall). */
  | 'SOCKET_ERROR'
  /** No virtio-serial port with that name. */
  | 'DEVICE_NOT_FOUND'
  /** A port already has a listener on this channel. */
  | 'PORT_IN_USE';

export type HybridVsockErrorCode =
  /** The unix socket is missing or refuses connections: the VMM/proxy is not up (yet). */
  | 'UNREACHABLE'
  /** The connection closed before "OK": nothing listens on that guest port (yet). */
  | 'NOT_READY'
  /** The reply was not "OK <n>". */
  | 'BAD_REPLY'
  /** (server side) The request was not "CONNECT <port>". */
  | 'BAD_REQUEST'
  /** No complete reply within the handshake timeout (retryable: a booting guest may be slow). */
  | 'HANDSHAKE_TIMEOUT';

export type DialErrorCode =
  /** The agent did not answer within the dial timeout; `cause` is the last attempt's error. */
  | 'DIAL_TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'ABORTED';

export type PortChannelErrorCode =
  /** The guest has no listener on that port and reset the stream. */
  | 'PORT_REFUSED'
  /** The stream ended before the 4-byte port header was complete. */
  | 'SHORT_HEADER'
  /** (host) The guest's mux session did not answer a ping in time: no stream was opened. */
  | 'NOT_READY'
  /** (host) The channel itself closed (the VM went away). */
  | 'CHANNEL_CLOSED'
  /** (host) The guest answered a ping sent after the stream but never saw the stream: its
   *  session restarted in between (the stream's frames were discarded). Retry. */
  | 'STREAM_LOST';

/** Base of this library's errors. */
export class VsockError<C extends string = VsockErrorCode> extends KataError<C> {}

/** A failed hybrid-vsock handshake (Firecracker / Cloud Hypervisor / kata-proxy). */
export class HybridVsockError extends VsockError<HybridVsockErrorCode> {
  readonly socketPath: string;
  /** The guest port asked for; undefined when the request itself was unreadable (server side). */
  readonly port: number | undefined;

  constructor(code: HybridVsockErrorCode, socketPath: string, port: number | undefined, detail: string, options?: { cause?: unknown }) {
    super(code, `hybrid vsock ${socketPath}${port === undefined ? '' : ` port ${port}`}: ${detail}`, options);
    this.socketPath = socketPath;
    this.port = port;
  }

  /**
   * Whether retrying later can succeed: the VMM or proxy is not up, the guest has no listener
   * yet, or a booting guest did not answer in time. Only a malformed exchange is final.
   */
  get retryable(): boolean {
    return this.code !== 'BAD_REPLY' && this.code !== 'BAD_REQUEST';
  }
}

/** A dial that gave up: timeout or abort. */
export class DialError extends VsockError<DialErrorCode> {
  readonly uri: string;

  constructor(code: DialErrorCode, uri: string, message: string, options?: { cause?: unknown }) {
    super(code, `dial ${uri}: ${message}`, options);
    this.uri = uri;
  }
}

/** A refused or malformed port-routed mux stream (see port-channel.ts). */
export class PortChannelError extends VsockError<PortChannelErrorCode> {
  readonly port: number | undefined;

  constructor(code: PortChannelErrorCode, port: number | undefined, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.port = port;
  }
}
