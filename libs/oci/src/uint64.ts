import { OciError } from './oci-error';
import type { Uint64 } from './spec';

const U64_LIMIT = 1n << 64n;

/**
 * A runtime-spec uint64 as the proto's decimal string ([jstype = JS_STRING] fields). A number
 * past 2^53 has already lost digits (JSON.parse rounds 2^64-1, RLIMIT_INFINITY, up to 2^64):
 * refuse it rather than send a neighbour; parseOciJson keeps such values exact as bigints.
 */
export function uint64ToProto(value: Uint64, field: string): string {
  const exact = typeof value === 'bigint' || Number.isSafeInteger(value);
  const n = exact ? BigInt(value) : -1n;
  if (n < 0n || n >= U64_LIMIT) {
    throw new OciError('BAD_UINT64', `${field}: ${String(value)} is not an exact uint64 (parse config.json with parseOciJson)`);
  }
  return n.toString();
}

/** The proto's decimal string back: a number while exact, a bigint beyond 2^53. */
export function uint64FromProto(value: string): Uint64 {
  const n = BigInt(value || '0');
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
