/**
 * The 4 KiB "pfn info block" Linux' nvdimm driver looks for 4 KiB into a raw pmem namespace
 * (drivers/nvdimm/pfn.h, `struct nd_pfn_sb`): with it the namespace becomes an fsdax device whose
 * data starts at `dataOffset`, so `/dev/pmem0` is the filesystem after the header and can be
 * mounted with `-o dax`. Kata's image builder writes the same block (mode "ram": the guest keeps
 * the struct pages in its RAM, the device stays read-only).
 */
export const PFN_INFO_OFFSET = 4096;
const PFN_INFO_SIZE = 4096;
const PFN_SIGNATURE = 'NVDIMM_PFN_INFO\0';
const PFN_MODE_RAM = 1;

export function pfnInfoBlock(dataOffset: number, alignment: number): Buffer {
  if (dataOffset < 2 * PFN_INFO_SIZE || dataOffset % alignment !== 0)
    throw new RangeError(`pfn data offset ${dataOffset} must be at least 8 KiB and a multiple of the alignment ${alignment}`);
  const sb = Buffer.alloc(PFN_INFO_SIZE);
  sb.write(PFN_SIGNATURE, 0, 'latin1');
  // uuid (16), parent_uuid (16): zero, as the label-less namespace QEMU's nvdimm presents.
  sb.writeUInt32LE(0, 48); // flags
  sb.writeUInt16LE(1, 52); // version_major
  sb.writeUInt16LE(2, 54); // version_minor: 2 has the `align` field
  sb.writeBigUInt64LE(BigInt(dataOffset), 56);
  sb.writeBigUInt64LE(0n, 64); // npfns: the kernel derives it from the namespace size
  sb.writeUInt32LE(PFN_MODE_RAM, 72);
  sb.writeUInt32LE(0, 76); // start_pad
  sb.writeUInt32LE(0, 80); // end_trunc
  sb.writeUInt32LE(alignment, 84);
  sb.writeBigUInt64LE(fletcher64(sb), PFN_INFO_SIZE - 8);
  return sb;
}

/**
 * The kernel's nd_sb_checksum: nd_fletcher64 over the whole block, its checksum field read as zero
 * (the two zero words still add the running sum to the high half).
 */
export function fletcher64(block: Buffer): bigint {
  let lo = 0;
  let hi = 0n;
  for (let i = 0; i < block.length; i += 4) {
    lo = (lo + (i < block.length - 8 ? block.readUInt32LE(i) : 0)) >>> 0;
    hi += BigInt(lo);
  }
  return ((hi << 32n) | BigInt(lo)) & 0xffff_ffff_ffff_ffffn;
}
