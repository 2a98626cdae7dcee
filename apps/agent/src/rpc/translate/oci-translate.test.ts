import { describe, expect, it } from 'vitest';
import { oci } from '@kata-ts/protocols';
import type { OciSpec } from '../../oci/spec';
import { specFromProto } from './oci-from-proto';
import { specToProto } from './oci-to-proto';

const spec: OciSpec = {
  ociVersion: '1.0.2',
  process: {
    terminal: true,
    consoleSize: { height: 24, width: 80 },
    user: { uid: 1000, gid: 1000, additionalGids: [10] },
    args: ['sh', '-c', 'true'],
    env: ['PATH=/bin'],
    cwd: '/tmp',
    capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], inheritable: [], permitted: ['CAP_KILL'], ambient: [] },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 512 }],
    noNewPrivileges: true,
  },
  root: { path: 'rootfs', readonly: true },
  hostname: 'box',
  mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/data', type: 'bind', source: '/src', options: ['rbind', 'ro'] }],
  linux: {
    namespaces: [{ type: 'pid' }, { type: 'ipc', path: '/proc/1/ns/ipc' }],
    resources: {
      devices: [{ allow: false, access: 'rwm', type: 'a' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
      memory: { limit: 64 << 20 },
      cpu: { quota: 50000, period: 100000, shares: 512, cpus: '0' },
      pids: { limit: 20 },
    },
    cgroupsPath: '/default/box',
    seccomp: {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 448, op: 'SCMP_CMP_EQ' }] },
      ],
    },
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    maskedPaths: ['/proc/kcore'],
    readonlyPaths: ['/proc/sys'],
  },
};

describe('OCI spec translation', () => {
  it('survives config.json → oci.proto → bytes → config.json', () => {
    const bytes = oci.Spec.encode(specToProto(spec)).finish();
    expect(specFromProto(oci.Spec.decode(bytes))).toEqual(spec);
  });

  it('leaves proto3 zero limits out instead of setting them to 0', () => {
    const back = specFromProto(oci.Spec.fromPartial({ Version: '1.0.2', Linux: { Resources: { Memory: { Limit: 0 }, Pids: { Limit: 0 } } } }));
    expect(back.linux?.resources).toBeUndefined();
  });
});
