import { describe, expect, it } from 'vitest';
import { outputTail } from './output-tail';

describe('outputTail', () => {
  it('keeps the last lines, joined, without terminal escape sequences', () => {
    const stderr = 'one\n\x1b[1;31mqemu-system-x86_64: -m 100: \x1b[0mcannot set up guest memory\r\n\x1b[2K\x1b[1Gthree\n\n';
    expect(outputTail(stderr, 2)).toBe('qemu-system-x86_64: -m 100: cannot set up guest memory | three');
    expect(outputTail(stderr)).toBe('one | qemu-system-x86_64: -m 100: cannot set up guest memory | three');
  });

  it('is empty for output that is only blanks and escapes', () => {
    expect(outputTail('\x1b[0m\n  \n', 5, ' ')).toBe('');
  });
});
