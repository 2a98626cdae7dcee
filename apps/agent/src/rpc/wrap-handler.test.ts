import { describe, expect, it, vi } from 'vitest';
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
import { isEndOfStream } from '@kata-ts/guest-contract';
import type { Logger } from '@kata-ts/logging';
import { Code, TtrpcError } from '@kata-ts/ttrpc';
import { CommandError, EndOfStreamError } from '../errors';
import { toTtrpcError, wrapHandler } from './wrap-handler';

describe('toTtrpcError: what the shim gets from the agent', () => {
  it.each([
    [new InvalidArgumentError('x'), 'INVALID_ARGUMENT'],
    [new NotFoundError('x'), 'NOT_FOUND'],
    [new AlreadyExistsError('x'), 'ALREADY_EXISTS'],
    [new FailedPreconditionError('x'), 'FAILED_PRECONDITION'],
    [new DeadlineExceededError('x'), 'DEADLINE_EXCEEDED'],
    [new UnavailableError('x'), 'UNAVAILABLE'],
    [new UnimplementedError('x'), 'UNIMPLEMENTED'],
    [new InternalError('x'), 'INTERNAL'],
    [new EndOfStreamError('x'), 'OUT_OF_RANGE'],
    [new CommandError('crun start', 1, 'x'), 'INTERNAL'],
    [new DOMException('x', 'AbortError'), 'CANCELLED'],
    [new Error('x'), 'INTERNAL'],
    ['x', 'INTERNAL'],
  ])('%o → %s', (error, status) => {
    const mapped = toTtrpcError(error);
    expect(mapped.codeName).toBe(status);
    expect(mapped.cause).toBe(error);
  });

  it('answers a drained stream with the end-of-stream status the shim reads as EOF', () => {
    const mapped = toTtrpcError(new EndOfStreamError('stdout of c1'));
    expect(isEndOfStream(mapped)).toBe(true);
    expect(mapped.message).toBe('EOF: stdout of c1');
    expect(isEndOfStream(toTtrpcError(new UnavailableError('x')))).toBe(false);
  });

  it('passes a TtrpcError through', () => {
    const status = new TtrpcError(Code.RESOURCE_EXHAUSTED, 'too big');
    expect(toTtrpcError(status)).toBe(status);
  });

  it('logs an INTERNAL failure as an error, a status as debug', async () => {
    const log = { error: vi.fn(), debug: vi.fn() } as unknown as Logger;
    const fail = (error: unknown) => wrapHandler(log, 'Rpc', async () => Promise.reject(error))({}, {});
    await expect(fail(new NotFoundError('c1'))).rejects.toMatchObject({ codeName: 'NOT_FOUND', message: 'c1' });
    await expect(fail(new Error('bug'))).rejects.toMatchObject({ codeName: 'INTERNAL', message: 'bug' });
    expect(log.debug).toHaveBeenCalledWith({ rpc: 'Rpc', code: 'NOT_FOUND', err: 'c1' }, 'rpc failed');
    expect(log.error).toHaveBeenCalledWith({ rpc: 'Rpc', code: 'INTERNAL', err: 'bug' }, 'rpc failed');
  });
});
