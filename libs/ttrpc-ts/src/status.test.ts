import { describe, expect, it } from 'vitest';
import { Code } from './code';
import { fromStatus, toStatus } from './status';
import { TtrpcError } from './ttrpc-error';

describe('status mapping', () => {
  it('keeps a TtrpcError code, message and details', () => {
    const details = [{ typeUrl: 'x.y', value: Uint8Array.of(1, 2) }];
    expect(toStatus(new TtrpcError(Code.NOT_FOUND, 'no such task', { details }))).toEqual({ code: 5, message: 'no such task', details });
  });

  it('maps plain errors to UNKNOWN with their message', () => {
    expect(toStatus(new Error('boom'))).toEqual({ code: Code.UNKNOWN, message: 'boom', details: [] });
    expect(toStatus('just a string')).toEqual({ code: Code.UNKNOWN, message: 'just a string', details: [] });
  });

  it('maps errno errors like Go ttrpc does', () => {
    const enoent = Object.assign(new Error('open /x: no such file'), { code: 'ENOENT' });
    expect(toStatus(enoent).code).toBe(Code.NOT_FOUND);
    expect(toStatus(Object.assign(new Error('e'), { code: 'EEXIST' })).code).toBe(Code.ALREADY_EXISTS);
    expect(toStatus(Object.assign(new Error('e'), { code: 'EACCES' })).code).toBe(Code.PERMISSION_DENIED);
  });

  it('maps abort and timeout reasons', () => {
    expect(toStatus(new DOMException('gone', 'AbortError')).code).toBe(Code.CANCELLED);
    expect(toStatus(new DOMException('late', 'TimeoutError')).code).toBe(Code.DEADLINE_EXCEEDED);
  });

  it('fromStatus: OK or absent is no error, anything else a TtrpcError', () => {
    expect(fromStatus(undefined)).toBeUndefined();
    expect(fromStatus({ code: 0, message: '', details: [] })).toBeUndefined();
    const err = fromStatus({ code: 14, message: 'down', details: [] });
    expect(err).toBeInstanceOf(TtrpcError);
    expect(err?.code).toBe(Code.UNAVAILABLE);
    expect(err?.codeName).toBe('UNAVAILABLE');
    expect(err?.name).toBe('TtrpcError');
  });
});
