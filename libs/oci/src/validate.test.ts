import { describe, expect, it } from 'vitest';
import { parseOciJson } from './oci-json';
import type { OciSpec } from './spec';
import { validateId, validateSpec } from './validate';

const process = { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 } };
const spec = (over: Partial<OciSpec> = {}): OciSpec => ({ ociVersion: '1.0.2', process, mounts: [{ destination: '/proc', type: 'proc' }], ...over });

describe('validateSpec (runc-strict)', () => {
  it('accepts a plain spec and the largest id runc accepts', () => {
    expect(() => validateSpec(spec())).not.toThrow();
    expect(() => validateSpec(spec({ process: { ...process, user: { uid: 2147483647, gid: 2147483647, additionalGids: [0, 5] } } }))).not.toThrow();
  });

  it.each([
    ['uid 4294967295 (setuid(-1): root)', { ...process, user: { uid: 4294967295, gid: 0 } }, 'process.user.uid: 4294967295: uids and gids must be in range 0-2147483647'],
    ['gid 4294967295', { ...process, user: { uid: 0, gid: 4294967295 } }, 'process.user.gid: 4294967295: uids and gids must be in range 0-2147483647'],
    ['gid 2^31', { ...process, user: { uid: 0, gid: 2147483648 } }, 'uids and gids must be in range 0-2147483647'],
    ['a negative uid', { ...process, user: { uid: -1, gid: 0 } }, 'process.user.uid: -1: uids and gids'],
    ['a fractional uid', { ...process, user: { uid: 1.5, gid: 0 } }, 'process.user.uid: 1.5: uids and gids'],
    ['an additional gid', { ...process, user: { uid: 0, gid: 0, additionalGids: [1, 4294967295] } }, 'process.user.additionalGids: 4294967295'],
    ['a relative cwd', { ...process, cwd: 'tmp' }, 'process.cwd "tmp" is not an absolute path'],
    ['no args', { ...process, args: [] }, 'process.args must not be empty'],
  ])('refuses %s, naming the field', (_what, p, message) => {
    expect(() => validateSpec(spec({ process: p }))).toThrow(expect.objectContaining({ code: 'INVALID_SPEC', message: expect.stringContaining(message) }));
  });

  it('refuses a uid past 2^53 read exactly from config.json (a bigint)', () => {
    const parsed = parseOciJson('{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","user":{"uid":18446744073709551615,"gid":0}}}') as OciSpec;
    expect(() => validateSpec(parsed)).toThrow(/process.user.uid: 18446744073709551615: uids and gids must be in range/);
  });

  it('refuses a relative mount destination and an id mapping out of range', () => {
    expect(() => validateSpec(spec({ mounts: [{ destination: 'data' }] }))).toThrow('mounts: destination "data" is not an absolute path');
    const linux = { uidMappings: [{ containerID: 0, hostID: 4294967295, size: 1 }] };
    expect(() => validateSpec(spec({ linux }))).toThrow('linux.uidMappings: 4294967295: uids and gids must be in range 0-2147483647');
  });
});

describe('validateId', () => {
  it.each(['c1', 'a_b.c-d+e', 'x'.repeat(64)])('accepts %s', (id) => expect(() => validateId(id)).not.toThrow());
  it.each(['', '.', '..', '../etc', 'a/b', 'a b', 'ä'])('refuses %j as runc does', (id) => {
    expect(() => validateId(id)).toThrow(`invalid container id format: ${JSON.stringify(id)}`);
  });
});
