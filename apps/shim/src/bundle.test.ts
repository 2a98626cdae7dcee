import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { specToProto } from '@kata-ts/oci';
import { readBundleSpec } from './bundle';

describe('readBundleSpec', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('keeps RLIMIT_INFINITY exact, so the spec encodes for the agent', () => {
    dir = mkdtempSync(join(tmpdir(), 'shim-bundle-'));
    const rlimit = '{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}';
    writeFileSync(join(dir, 'config.json'), `{"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"cwd":"/","rlimits":[${rlimit}]}}`);
    const proto = specToProto(readBundleSpec(dir));
    expect(proto.Process?.Rlimits).toEqual([{ Type: 'RLIMIT_CORE', Hard: '18446744073709551615', Soft: '18446744073709551615' }]);
  });

  it('names the file it cannot read', () => {
    dir = mkdtempSync(join(tmpdir(), 'shim-bundle-'));
    writeFileSync(join(dir, 'config.json'), '{"ociVersion":');
    expect(() => readBundleSpec(dir!)).toThrow(/cannot read the OCI spec .*config\.json/);
  });
});
