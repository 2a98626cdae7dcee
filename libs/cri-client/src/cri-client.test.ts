import { describe, expect, it } from 'vitest';
import { criTarget } from './cri-client';
import { CriError } from './cri-error';

describe('criTarget', () => {
  it('accepts a socket path or a unix: URI', () => {
    expect(criTarget('/run/containerd/containerd.sock')).toBe('unix:///run/containerd/containerd.sock');
    expect(criTarget('unix:///x.sock')).toBe('unix:///x.sock');
  });

  it('rejects anything else with INVALID_ARGUMENT', () => {
    expect(() => criTarget('localhost:1234')).toThrow(CriError);
    expect(() => criTarget('tcp://h:1')).toThrow(/INVALID_ARGUMENT/);
  });
});

describe('CriError', () => {
  it('keeps grpc-js ServiceError codes and wraps anything else as UNKNOWN', () => {
    expect(CriError.from('M', { code: 5, details: 'nope' })).toMatchObject({ code: 'NOT_FOUND', grpcCode: 5, details: 'nope', message: 'M: NOT_FOUND: nope' });
    expect(CriError.from('M', new Error('boom'))).toMatchObject({ code: 'UNKNOWN', details: 'boom' });
  });
});
