import { describe, expect, it } from 'vitest';
import { sideBySide } from './side-by-side';

describe('sideBySide', () => {
  it('aligns host and guest and says whether the kernels differ', () => {
    const host = 'Linux h 6.1.0-28-cloud-amd64 #1 SMP x86_64 GNU/Linux';
    const guest = 'Linux demo 6.1.0-41-amd64 #1 SMP x86_64 GNU/Linux';
    const text = sideBySide(host, guest);
    expect(text).toContain('host                       6.1.0-28-cloud-amd64  Linux h');
    expect(text).toContain('guest (container in a VM)  6.1.0-41-amd64        Linux demo');
    expect(text).toContain('Different kernels');
    expect(sideBySide(host, host)).toContain('did NOT run in its own VM');
  });
});
