import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oci } from '@kata-ts/protocols';
import { specFromProto } from './from-proto';
import { parseOciJson, stringifyOciJson } from './oci-json';
import type { OciSpec } from './spec';
import { processToProto, resourcesToProto, specToProto } from './to-proto';
import { processFromProto, resourcesFromProto } from './from-proto';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../test/fixtures', name), 'utf8');
const viaWire = (s: OciSpec) => specFromProto(oci.Spec.decode(oci.Spec.encode(specToProto(s)).finish()));

describe('OCI spec ↔ oci.proto', () => {
  // `ctr oci spec` (containerd 1.6's default spec) and a CRI container's spec: what a shim gets.
  it.each(['ctr-default.json', 'cri-container.json'])('%s survives config.json → proto bytes → config.json unchanged', (name) => {
    const spec = parseOciJson(fixture(name)) as OciSpec;
    const back = viaWire(spec);
    expect(back).toEqual(spec);
    expect(parseOciJson(stringifyOciJson(back))).toEqual(parseOciJson(fixture(name)));
  });

  it('carries RLIMIT_INFINITY and u64 seccomp masks exactly, as decimal strings on the wire', () => {
    const spec = parseOciJson(fixture('cri-container.json')) as OciSpec;
    const proto = specToProto(spec);
    expect(proto.Process?.Rlimits[1]).toEqual({ Type: 'RLIMIT_CORE', Hard: '18446744073709551615', Soft: '18446744073709551615' });
    expect(proto.Linux?.Seccomp?.Syscalls[4]?.Args[0]?.Value).toBe('18446744073709551615');
    expect(stringifyOciJson(viaWire(spec).process?.rlimits?.[1])).toBe('{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615}');
  });

  it('refuses a uint64 JSON.parse already rounded instead of sending a neighbour', () => {
    const spec = JSON.parse(fixture('cri-container.json')) as OciSpec;
    expect(() => specToProto(spec)).toThrow(expect.objectContaining({ code: 'BAD_UINT64', message: expect.stringContaining('process.rlimits[1].hard') }));
  });

  it('carries hooks, exec processes and resource updates both ways', () => {
    const spec: OciSpec = {
      ociVersion: '1.1.0',
      process: { terminal: true, consoleSize: { height: 24, width: 80 }, user: { uid: 0, gid: 0, username: 'root' }, args: ['sh'], cwd: '/' },
      hooks: { prestart: [{ path: '/usr/bin/hook', args: ['hook', 'pre'], env: ['A=1'], timeout: 5 }], poststop: [{ path: '/bin/true' }] },
      linux: { resources: { memory: { kernel: 1 << 20, kernelTCP: 1 << 19 } } },
    };
    expect(viaWire(spec)).toEqual(spec);
    const exec = spec.process!;
    expect(processFromProto(oci.Process.decode(oci.Process.encode(processToProto(exec)).finish()))).toEqual(exec);
    const update = { cpu: { quota: 20000, period: 100000 }, pids: { limit: 10 } };
    expect(resourcesFromProto(oci.LinuxResources.decode(oci.LinuxResources.encode(resourcesToProto(update)).finish()))).toEqual(update);
  });

  it('leaves proto3 zero limits out instead of setting them to 0', () => {
    const back = specFromProto(oci.Spec.fromPartial({ Version: '1.0.2', Linux: { Resources: { Memory: { Limit: 0 }, Pids: { Limit: 0 } } } }));
    expect(back).toEqual({ ociVersion: '1.0.2' });
  });

  it('sends an absent device-cgroup major/minor as -1 (any) and a type "a" rule without them', () => {
    const proto = resourcesToProto({ devices: [{ allow: true, type: 'c', major: 136, access: 'rwm' }] });
    expect(proto.Devices[0]).toEqual({ Allow: true, Type: 'c', Major: 136, Minor: -1, Access: 'rwm' });
    const all = resourcesFromProto(oci.LinuxResources.fromPartial({ Devices: [{ Allow: false, Type: 'a', Major: 0, Minor: 0, Access: 'rwm' }] }));
    expect(all.devices).toEqual([{ allow: false, type: 'a', access: 'rwm' }]);
  });
});
