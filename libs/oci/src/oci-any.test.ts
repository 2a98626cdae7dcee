import { describe, expect, it } from 'vitest';
import { OCI_LINUX_RESOURCES_TYPE_URL, packJsonAny, packOciProcess } from '@kata-ts/protocols';
import { ociProcessFromAny, ociResourcesFromAny } from './oci-any';

describe('ociProcessFromAny / ociResourcesFromAny', () => {
  it('reads an exec Process Any with its RLIMIT_INFINITY exact and checks the type', () => {
    const any = packOciProcess('placeholder');
    any.value = Buffer.from('{"user":{"uid":0,"gid":0},"cwd":"/","rlimits":[{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":0}]}');
    expect(ociProcessFromAny(any).rlimits?.[0]?.hard).toBe(18446744073709551615n);
    expect(() => ociResourcesFromAny(any)).toThrow(expect.objectContaining({ code: 'ANY_TYPE_MISMATCH' }));
    expect(ociResourcesFromAny(packJsonAny(OCI_LINUX_RESOURCES_TYPE_URL, { pids: { limit: 5 } }))).toEqual({ pids: { limit: 5 } });
  });
});
