import { describe, expect, it } from 'vitest';
import { isKataError, KataError, NotFoundError, StatusError, UnavailableError } from './index';

class ThingError extends KataError<'BROKEN' | 'GONE'> {}

describe('KataError', () => {
  it('carries the code, message, cause and the subclass name', () => {
    const cause = new Error('underneath');
    const err = new ThingError('BROKEN', 'the thing broke', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'ThingError', code: 'BROKEN', message: 'the thing broke', cause });
    expect(String(err)).toBe('ThingError: the thing broke');
  });

  it('isKataError checks the class and, if given, the code', () => {
    const err = new ThingError('GONE', 'gone');
    expect(isKataError(err)).toBe(true);
    expect(isKataError(err, 'GONE')).toBe(true);
    expect(isKataError(err, 'BROKEN')).toBe(false);
    for (const other of [new Error('GONE'), Object.assign(new Error('x'), { code: 'GONE' }), { code: 'GONE' }, 'GONE', undefined]) {
      expect(isKataError(other)).toBe(false);
    }
  });

  it('status classes are StatusErrors whose code is the status', () => {
    const err = new NotFoundError('container c1: not found');
    expect(err).toBeInstanceOf(StatusError);
    expect(err).toMatchObject({ name: 'NotFoundError', code: 'NOT_FOUND' });
    expect(new UnavailableError('the VM exited', { cause: 1 })).toMatchObject({ code: 'UNAVAILABLE', cause: 1 });
  });
});
