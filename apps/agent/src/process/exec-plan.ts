import type { OciProcess, OciSpec } from '@kata-ts/oci';

/** OCI namespace types by their names under /proc/<pid>/ns. */
const PROC_NS_NAMES: Record<string, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', time: 'time' };

/**
 * Whether the monitor can start an exec of this container itself (native/exec-plan.c), without
 * `crun exec`: not with what it does not carry out, which stays crun's: a seccomp filter, an
 * AppArmor or SELinux label, a user namespace. (Kata's proto carries no other process setting.)
 */
export function monitorCanExec(spec: OciSpec, process: OciProcess): boolean {
  const namespaces = spec.linux?.namespaces ?? [];
  return !spec.linux?.seccomp && !process.apparmorProfile && !process.selinuxLabel && namespaces.every((n) => n.type in PROC_NS_NAMES);
}

/**
 * The monitor's exec plan: NUL-terminated `key=value` records (args and env may hold newlines),
 * read by native/exec-plan.c, which names each key. `initPid` is the container's init, whose
 * cgroup and namespaces (those of `spec`) the process joins. `process` has been through
 * validateProcess (spec-plan.ts): its user and cwd are set.
 */
export function execPlan(spec: OciSpec, process: OciProcess, initPid: number): Buffer {
  const records: string[] = [`pid=${initPid}`];
  for (const ns of spec.linux?.namespaces ?? []) records.push(`ns=${PROC_NS_NAMES[ns.type]}`);
  const { user } = process;
  records.push(`uid=${user.uid}`, `gid=${user.gid}`, ...(user.additionalGids ?? []).map((g) => `group=${g}`));
  if (user.umask !== undefined) records.push(`umask=${user.umask.toString(8)}`);
  const caps = process.capabilities;
  if (caps) {
    records.push('caps=1');
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'] as const) {
      for (const name of caps[set] ?? []) records.push(`cap.${set}=${name}`);
    }
  }
  for (const r of process.rlimits ?? []) records.push(`rlimit=${r.type} ${r.soft} ${r.hard}`);
  if (process.noNewPrivileges) records.push('nnp=1');
  if (process.oomScoreAdj !== undefined) records.push(`oom=${process.oomScoreAdj}`);
  records.push(`cwd=${process.cwd}`, ...(process.env ?? []).map((e) => `env=${e}`), ...process.args!.map((a) => `arg=${a}`));
  return Buffer.from(records.map((r) => `${r}\0`).join(''));
}
