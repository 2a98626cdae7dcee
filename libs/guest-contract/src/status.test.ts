import { describe, expect, it } from 'vitest';
import { isEndOfStream } from './status';

describe('end of stream', () => {
  it('is the OUT_OF_RANGE status and nothing else', () => {
    expect(isEndOfStream({ codeName: 'OUT_OF_RANGE' })).toBe(true);
    for (const other of [{ codeName: 'NOT_FOUND' }, { codeName: 'UNAVAILABLE' }, new Error('OUT_OF_RANGE'), undefined, null, 'OUT_OF_RANGE']) {
      expect(isEndOfStream(other)).toBe(false);
    }
  });
});
