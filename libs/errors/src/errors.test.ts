import { describe, expect, it } from 'vitest';
import { KataError, NotFoundError, StatusError, UnavailableError } from './index';

class ThingError extends KataError<'BROKEN' | 'GONE'> {}

describe('KataError', () => {
  it('carries the code, message, cause and the subclass name', () => {
    const cause = new Error('underneath');
    const err = new ThingError('BROKEN', 'the thing broke', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'ThingError', code: 'BROKEN', message: 'the thing broke', cause });
    expect(String(err)).toBe('ThingError: the thing broke');
  });

  it('status classes are StatusErrors whose code is the status', () => {
    const err = new NotFoundError('container c1: not found');
    expect(err).toBeInstanceOf(StatusError);
    expect(err).toMatchObject({ name: 'NotFoundError', code: 'NOT_FOUND' });
    expect(new UnavailableError('the VM exited', { cause: 1 })).toMatchObject({ code: 'UNAVAILABLE', cause: 1 });
  });
});
