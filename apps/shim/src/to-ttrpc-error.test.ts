import { describe, expect, it } from 'vitest';
import { AgentConnectError } from '@kata-ts/agent-client';
import { DialError, HybridVsockError, PortChannelError, VsockError } from '@kata-ts/agent-transport';
import { ConfigError } from '@kata-ts/config';
import {
  AlreadyExistsError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
  UnimplementedError,
} from '@kata-ts/errors';
import { FactoryError } from '@kata-ts/factory';
import { HypervisorError } from '@kata-ts/hypervisor';
import { MuxError } from '@kata-ts/mux';
import { OciError } from '@kata-ts/oci';
import { ProtocolError } from '@kata-ts/protocols';
import { Code, TtrpcError } from '@kata-ts/ttrpc';
import { toTtrpcError } from './to-ttrpc-error';

const hvsock = (code: ConstructorParameters<typeof HybridVsockError>[0]) => new HybridVsockError(code, '/run/x.sock', 1024, 'x');
const channel = (code: ConstructorParameters<typeof PortChannelError>[0]) => new PortChannelError(code, 1024, 'x');

describe('toTtrpcError: what containerd gets', () => {
  it.each([
    [new InvalidArgumentError('x'), 'INVALID_ARGUMENT'],
    [new NotFoundError('x'), 'NOT_FOUND'],
    [new AlreadyExistsError('x'), 'ALREADY_EXISTS'],
    [new FailedPreconditionError('x'), 'FAILED_PRECONDITION'],
    [new DeadlineExceededError('x'), 'DEADLINE_EXCEEDED'],
    [new UnavailableError('x'), 'UNAVAILABLE'],
    [new UnimplementedError('x'), 'UNIMPLEMENTED'],
    [new InternalError('x'), 'INTERNAL'],
    [new ConfigError('NOT_FOUND', 'x'), 'INVALID_ARGUMENT'],
    [new ConfigError('UNREADABLE', 'x'), 'INVALID_ARGUMENT'],
    [new ConfigError('SYNTAX', 'x'), 'INVALID_ARGUMENT'],
    [new ConfigError('INVALID', 'x'), 'INVALID_ARGUMENT'],
    [new HypervisorError('BAD_CONFIG', 'x'), 'INVALID_ARGUMENT'],
    [new HypervisorError('NOT_SUPPORTED', 'x'), 'UNIMPLEMENTED'],
    [new HypervisorError('START_FAILED', 'x'), 'UNAVAILABLE'],
    [new HypervisorError('NOT_RUNNING', 'x'), 'UNAVAILABLE'],
    [new HypervisorError('QMP_CLOSED', 'x'), 'UNAVAILABLE'],
    [new HypervisorError('TIMEOUT', 'x'), 'DEADLINE_EXCEEDED'],
    [new HypervisorError('QMP_ERROR', 'x'), 'INTERNAL'],
    [new FactoryError('UNSUPPORTED', 'x'), 'FAILED_PRECONDITION'],
    [new FactoryError('TEMPLATE_FAILED', 'x'), 'UNAVAILABLE'],
    [new FactoryError('LOCKED', 'x'), 'DEADLINE_EXCEEDED'],
    [new AgentConnectError('x'), 'DEADLINE_EXCEEDED'],
    [new VsockError('ADDON_NOT_FOUND', 'x'), 'FAILED_PRECONDITION'],
    [new VsockError('DEVICE_NOT_FOUND', 'x'), 'FAILED_PRECONDITION'],
    [new VsockError('BAD_URI', 'x'), 'INVALID_ARGUMENT'],
    [new VsockError('PORT_IN_USE', 'x'), 'ALREADY_EXISTS'],
    [new VsockError('SOCKET_ERROR', 'x'), 'UNAVAILABLE'],
    [hvsock('UNREACHABLE'), 'UNAVAILABLE'],
    [hvsock('NOT_READY'), 'UNAVAILABLE'],
    [hvsock('BAD_REPLY'), 'UNAVAILABLE'],
    [hvsock('BAD_REQUEST'), 'INVALID_ARGUMENT'],
    [hvsock('HANDSHAKE_TIMEOUT'), 'DEADLINE_EXCEEDED'],
    [new DialError('DIAL_TIMEOUT', 'hvsock://x:1024', 'x'), 'DEADLINE_EXCEEDED'],
    [new DialError('ABORTED', 'hvsock://x:1024', 'x'), 'CANCELLED'],
    [channel('PORT_REFUSED'), 'UNAVAILABLE'],
    [channel('SHORT_HEADER'), 'UNAVAILABLE'],
    [channel('NOT_READY'), 'UNAVAILABLE'],
    [channel('CHANNEL_CLOSED'), 'UNAVAILABLE'],
    [channel('STREAM_LOST'), 'UNAVAILABLE'],
    [new MuxError('PROTOCOL', 'x'), 'UNAVAILABLE'],
    [new MuxError('STREAM_RESET', 'x'), 'UNAVAILABLE'],
    [new MuxError('SESSION_CLOSED', 'x'), 'UNAVAILABLE'],
    [new MuxError('REMOTE_GOAWAY', 'x'), 'UNAVAILABLE'],
    [new MuxError('TRANSPORT', 'x'), 'UNAVAILABLE'],
    [new MuxError('TIMEOUT', 'x'), 'UNAVAILABLE'],
    [new MuxError('STREAMS_EXHAUSTED', 'x'), 'RESOURCE_EXHAUSTED'],
    [new MuxError('INTERNAL', 'x'), 'INTERNAL'],
    [new OciError('BAD_UINT64', 'x'), 'INVALID_ARGUMENT'],
    [new OciError('BAD_JSON', 'x'), 'INVALID_ARGUMENT'],
    [new OciError('INVALID_SPEC', 'x'), 'INVALID_ARGUMENT'],
    [new ProtocolError('ANY_UNKNOWN_TYPE', 'x'), 'INVALID_ARGUMENT'],
    [new ProtocolError('ANY_TYPE_MISMATCH', 'x'), 'INVALID_ARGUMENT'],
    [new Error('x'), 'INTERNAL'],
    ['x', 'INTERNAL'],
  ])('%o → %s', (err, status) => {
    const mapped = toTtrpcError(err);
    expect(mapped.codeName).toBe(status);
    expect(mapped.message).toMatch(/x$/);
    expect(mapped.cause).toBe(err);
  });

  it("passes the agent's status through as it came", () => {
    const fromAgent = new TtrpcError(Code.NOT_FOUND, 'exec id "e1" not found');
    expect(toTtrpcError(fromAgent)).toBe(fromAgent);
  });

  it('says which configuration is wrong', () => {
    expect(toTtrpcError(new ConfigError('INVALID', 'not a TOML table', { file: '/etc/kata.toml' })).message).toBe(
      'kata-ts configuration: /etc/kata.toml: not a TOML table',
    );
  });
});
