import { describe, expect, it } from 'vitest';
import type { OciProcess, OciSpec } from '@kata-ts/oci';
import { execPlan, monitorCanExec } from './exec-plan';

const spec: OciSpec = { ociVersion: '1.0.2', linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'cgroup' }] } };
const process: OciProcess = {
  args: ['sh', '-c', 'echo a\necho b'],
  env: ['PATH=/bin'],
  cwd: '/srv',
  user: { uid: 7, gid: 8, additionalGids: [9], umask: 0o27 },
  capabilities: { bounding: ['CAP_KILL'], effective: [] },
  rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 18446744073709551615n }],
  noNewPrivileges: true,
  oomScoreAdj: -5,
};

describe('execPlan', () => {
  it('writes one NUL-terminated record per setting, newlines kept, namespaces by their /proc names', () => {
    expect(execPlan(spec, process, 42).toString().split('\0')).toEqual([
      'pid=42', 'ns=pid', 'ns=mnt', 'ns=ipc', 'ns=cgroup', 'uid=7', 'gid=8', 'group=9', 'umask=27',
      'caps=1', 'cap.bounding=CAP_KILL', 'rlimit=RLIMIT_NOFILE 10 18446744073709551615', 'nnp=1', 'oom=-5',
      'cwd=/srv', 'env=PATH=/bin', 'arg=sh', 'arg=-c', 'arg=echo a\necho b', '',
    ]);
  });

  it('leaves capabilities alone when the process names none', () => {
    expect(execPlan(spec, { ...process, capabilities: undefined }, 1).toString()).not.toContain('caps=');
  });
});

describe('monitorCanExec', () => {
  it('leaves seccomp, LSM labels and user namespaces to crun', () => {
    expect(monitorCanExec(spec, process)).toBe(true);
    expect(monitorCanExec({ ...spec, linux: { ...spec.linux, seccomp: { defaultAction: 'SCMP_ACT_ALLOW' } } }, process)).toBe(false);
    expect(monitorCanExec(spec, { ...process, apparmorProfile: 'p' })).toBe(false);
    expect(monitorCanExec(spec, { ...process, selinuxLabel: 'l' })).toBe(false);
    expect(monitorCanExec({ linux: { namespaces: [{ type: 'user' }] } } as OciSpec, process)).toBe(false);
  });
});
