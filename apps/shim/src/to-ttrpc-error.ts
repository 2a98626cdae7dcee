import { AgentConnectError } from '@kata-ts/agent-client';
import { VsockError, type DialErrorCode, type HybridVsockErrorCode, type PortChannelErrorCode, type VsockErrorCode } from '@kata-ts/agent-transport';
import { ConfigError, type ConfigErrorCode } from '@kata-ts/config';
import { StatusError } from '@kata-ts/errors';
import { FactoryError, type FactoryErrorCode } from '@kata-ts/factory';
import { HypervisorError, type HypervisorErrorCode } from '@kata-ts/hypervisor';
import { MuxError, type MuxErrorCode } from '@kata-ts/mux';
import { OciError, type OciErrorCode } from '@kata-ts/oci';
import { ProtocolError, type ProtocolErrorCode } from '@kata-ts/protocols';
import { Code, TtrpcError } from '@kata-ts/ttrpc';

// The status of every code of every library error that can reach containerd. A Record per class,
// so a new code does not compile until it has a status here.

/** A configuration containerd (or the host) handed us that cannot be used, as before. */
const CONFIG: Record<ConfigErrorCode, Code> = {
  NOT_FOUND: Code.INVALID_ARGUMENT,
  UNREADABLE: Code.INVALID_ARGUMENT,
  SYNTAX: Code.INVALID_ARGUMENT,
  INVALID: Code.INVALID_ARGUMENT,
};

const HYPERVISOR: Record<HypervisorErrorCode, Code> = {
  BAD_CONFIG: Code.INVALID_ARGUMENT,
  NOT_SUPPORTED: Code.UNIMPLEMENTED,
  START_FAILED: Code.UNAVAILABLE,
  NOT_RUNNING: Code.UNAVAILABLE,
  QMP_CLOSED: Code.UNAVAILABLE,
  TIMEOUT: Code.DEADLINE_EXCEEDED,
  NO_CAPACITY: Code.RESOURCE_EXHAUSTED,
  // QEMU refused a command we built: our bug or QEMU's.
  QMP_ERROR: Code.INTERNAL,
};

const FACTORY: Record<FactoryErrorCode, Code> = {
  UNSUPPORTED: Code.FAILED_PRECONDITION,
  TEMPLATE_FAILED: Code.UNAVAILABLE,
  LOCKED: Code.DEADLINE_EXCEEDED,
};

const AGENT_CONNECT: Record<AgentConnectError['code'], Code> = {
  UNREACHABLE: Code.DEADLINE_EXCEEDED,
};

/** The agent channel: gone or not up is UNAVAILABLE, as ttrpc reports a lost connection. */
const VSOCK: Record<VsockErrorCode | HybridVsockErrorCode | DialErrorCode | PortChannelErrorCode, Code> = {
  ADDON_NOT_FOUND: Code.FAILED_PRECONDITION,
  DEVICE_NOT_FOUND: Code.FAILED_PRECONDITION,
  BAD_URI: Code.INVALID_ARGUMENT,
  BAD_REQUEST: Code.INVALID_ARGUMENT,
  PORT_IN_USE: Code.ALREADY_EXISTS,
  SOCKET_ERROR: Code.UNAVAILABLE,
  UNREACHABLE: Code.UNAVAILABLE,
  NOT_READY: Code.UNAVAILABLE,
  BAD_REPLY: Code.UNAVAILABLE,
  PORT_REFUSED: Code.UNAVAILABLE,
  SHORT_HEADER: Code.UNAVAILABLE,
  CHANNEL_CLOSED: Code.UNAVAILABLE,
  STREAM_LOST: Code.UNAVAILABLE,
  HANDSHAKE_TIMEOUT: Code.DEADLINE_EXCEEDED,
  DIAL_TIMEOUT: Code.DEADLINE_EXCEEDED,
  ABORTED: Code.CANCELLED,
};

const MUX: Record<MuxErrorCode, Code> = {
  PROTOCOL: Code.UNAVAILABLE,
  STREAM_RESET: Code.UNAVAILABLE,
  SESSION_CLOSED: Code.UNAVAILABLE,
  REMOTE_GOAWAY: Code.UNAVAILABLE,
  TRANSPORT: Code.UNAVAILABLE,
  TIMEOUT: Code.UNAVAILABLE,
  STREAMS_EXHAUSTED: Code.RESOURCE_EXHAUSTED,
  INTERNAL: Code.INTERNAL,
};

/** containerd's request (config.json, an exec's process, an update's resources) cannot be carried. */
const OCI: Record<OciErrorCode, Code> = {
  BAD_UINT64: Code.INVALID_ARGUMENT,
  BAD_JSON: Code.INVALID_ARGUMENT,
  INVALID_SPEC: Code.INVALID_ARGUMENT,
};

const PROTOCOL: Record<ProtocolErrorCode, Code> = {
  ANY_UNKNOWN_TYPE: Code.INVALID_ARGUMENT,
  ANY_TYPE_MISMATCH: Code.INVALID_ARGUMENT,
};

function statusOf(err: unknown): Code {
  if (err instanceof StatusError) return Code[err.code];
  if (err instanceof ConfigError) return CONFIG[err.code];
  if (err instanceof HypervisorError) return HYPERVISOR[err.code];
  if (err instanceof FactoryError) return FACTORY[err.code];
  if (err instanceof AgentConnectError) return AGENT_CONNECT[err.code];
  if (err instanceof VsockError) return VSOCK[err.code as keyof typeof VSOCK];
  if (err instanceof MuxError) return MUX[err.code];
  if (err instanceof OciError) return OCI[err.code];
  if (err instanceof ProtocolError) return PROTOCOL[err.code];
  // Untyped (a plain Error, errno): a bug or a failure nobody classified yet.
  return Code.INTERNAL;
}

/**
 * The one mapping from errors to the ttrpc statuses containerd gets. containerd turns the code
 * back into its errdefs class (NotFound → "not found") and shows the message to the `ctr` user,
 * so messages must say what to fix. A TtrpcError (the agent's answer) passes through as it is.
 */
export function toTtrpcError(err: unknown): TtrpcError {
  if (err instanceof TtrpcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TtrpcError(statusOf(err), err instanceof ConfigError ? `kata-ts configuration: ${message}` : message, { cause: err });
}
