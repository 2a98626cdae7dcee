import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';
import { OciError } from './oci-error';

/*
 * config.json holds uint64s beyond 2^53 (RLIMIT_INFINITY = 18446744073709551615): JSON.parse
 * rounds them and JSON.stringify cannot write a bigint. These keep every integer exact: a bigint
 * when it does not fit a double, a number otherwise.
 */

function parseNumber(text: string): number | bigint {
  return isInteger(text) && !isSafeNumber(text) ? BigInt(text) : Number(text);
}

/** Parses OCI JSON (config.json, an exec's Process, LinuxResources); the caller asserts the shape. */
export function parseOciJson(text: string): unknown {
  try {
    return parse(text, null, parseNumber);
  } catch (err) {
    throw new OciError('BAD_JSON', `invalid OCI JSON: ${(err as Error).message}`);
  }
}

/** JSON text with bigints written as plain integers, as crun and runc read them. */
export function stringifyOciJson(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) throw new OciError('BAD_JSON', 'value has no JSON form');
  return text;
}
