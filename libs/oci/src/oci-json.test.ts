import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseOciJson, stringifyOciJson } from './oci-json';

describe('parseOciJson / stringifyOciJson', () => {
  it('keeps integers past 2^53 exact as bigints and everything else as JSON.parse does', () => {
    const text = '{"a":18446744073709551615,"b":9007199254740991,"c":-1.5,"d":"18446744073709551615","e":[1e3,null,true]}';
    expect(parseOciJson(text)).toEqual({ a: 18446744073709551615n, b: 9007199254740991, c: -1.5, d: '18446744073709551615', e: [1000, null, true] });
    expect(stringifyOciJson(parseOciJson(text))).toBe('{"a":18446744073709551615,"b":9007199254740991,"c":-1.5,"d":"18446744073709551615","e":[1000,null,true]}');
  });

  it('round-trips any JSON with any 64-bit integer', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }).map((n) => (n >= -(2n ** 53n) + 1n && n <= 2n ** 53n - 1n ? Number(n) : n)),
        fc.string(),
        fc.boolean(),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(fc.property(value, (v) => {
        expect(parseOciJson(stringifyOciJson(v))).toEqual(v);
      }));
  });

  it('reports malformed JSON with a stable code', () => {
    expect(() => parseOciJson('{"a":')).toThrow(expect.objectContaining({ code: 'BAD_JSON' }));
  });
});
