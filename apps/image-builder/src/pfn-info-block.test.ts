import { describe, expect, it } from 'vitest';
import { fletcher64, pfnInfoBlock } from './pfn-info-block';

const MiB2 = 2 * 1024 * 1024;

describe('pfnInfoBlock', () => {
  it('lays out nd_pfn_sb: signature, version 1.2, data offset, mode ram, alignment', () => {
    const sb = pfnInfoBlock(MiB2, MiB2);
    expect(sb).toHaveLength(4096);
    expect(sb.subarray(0, 16).toString('latin1')).toBe('NVDIMM_PFN_INFO\0');
    expect(sb.subarray(16, 48).every((b) => b === 0)).toBe(true);
    expect([sb.readUInt16LE(52), sb.readUInt16LE(54)]).toEqual([1, 2]);
    expect(sb.readBigUInt64LE(56)).toBe(BigInt(MiB2));
    expect(sb.readUInt32LE(72)).toBe(1);
    expect(sb.readUInt32LE(84)).toBe(MiB2);
  });

  it("carries the checksum the kernel's nd_sb_checksum computes (value from the kernel's C, compiled here)", () => {
    const sb = pfnInfoBlock(MiB2, MiB2);
    expect(sb.readBigUInt64LE(4088)).toBe(0x685b071ee3943831n);
    expect(fletcher64(sb)).toBe(0x685b071ee3943831n);
    sb[100] = 1;
    expect(fletcher64(sb)).not.toBe(0x685b071ee3943831n);
  });

  it('refuses a data offset that would overlap the block or break the alignment', () => {
    expect(() => pfnInfoBlock(4096, 4096)).toThrow(/at least 8 KiB/);
    expect(() => pfnInfoBlock(MiB2 + 4096, MiB2)).toThrow(/multiple of the alignment/);
  });
});
