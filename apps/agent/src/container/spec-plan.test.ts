import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@kata-ts/errors';
import type { OciSpec } from '@kata-ts/oci';
import { planSpec, type PlanContext } from './spec-plan';

const ctx: PlanContext = { sandboxId: 'sb', containerId: 'c1', sharedDir: '/share', hostname: 'pod', sandboxFiles: { '/etc/hosts': '/state/hosts' }, cgroupV2: true };
const base = (): OciSpec => ({
  ociVersion: '1.0.2',
  process: { args: ['sh'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin'] },
  root: { path: 'rootfs' },
  linux: { namespaces: [{ type: 'pid' }, { type: 'network', path: '/proc/1/ns/net' }, { type: 'ipc', path: '/var/run/netns/x' }, { type: 'uts' }] },
  hooks: { prestart: [{ path: '/usr/bin/host-hook' }] },
});

describe('planSpec', () => {
  it('refuses a uid or gid past 2147483647 as runc does (4294967295 would reach setuid as -1: root)', () => {
    for (const user of [{ uid: 4294967295, gid: 0 }, { uid: 0, gid: 4294967295 }]) {
      const spec = base();
      spec.process!.user = user;
      expect(() => planSpec(spec, ctx)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/process.user.[ug]id: 4294967295: uids and gids must be in range 0-2147483647/) }));
    }
  });

  it('roots the container in the share, places its cgroup and drops host-only parts', () => {
    const spec = planSpec(base(), ctx);
    expect(spec.root).toEqual({ path: '/share/c1/rootfs', readonly: false });
    expect(spec.linux?.cgroupsPath).toBe('/kata/sb/c1');
    expect(spec.linux?.namespaces).toContainEqual({ type: 'cgroup' });
    expect(spec.linux?.resources?.unified).toEqual({ 'memory.oom.group': '1' });
    // cgroup v1 (the agent's tests on a v1 host) has no unified files: crun would refuse them.
    expect(planSpec(base(), { ...ctx, cgroupV2: false }).linux?.resources?.unified).toBeUndefined();
    expect(spec.hooks).toBeUndefined();
    expect(spec.hostname).toBe('pod');
    expect(spec.mounts).toContainEqual({ destination: '/etc/hosts', type: 'bind', source: '/state/hosts', options: ['rbind', 'rprivate'] });
  });

  it('creates mount and pid namespaces, drops network, joins the pod for namespaces given by path', () => {
    const first = planSpec(base(), ctx).linux!.namespaces!;
    expect(first).toEqual(expect.arrayContaining([{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }]));
    expect(first.find((n) => n.type === 'network')).toBeUndefined();
    const later = planSpec(base(), { ...ctx, podOwnerPid: 42, pidnsOwnerPid: 42 }).linux!.namespaces!;
    expect(later).toContainEqual({ type: 'ipc', path: '/proc/42/ns/ipc' });
    expect(later).toContainEqual({ type: 'uts' });
    expect(later).toContainEqual({ type: 'pid', path: '/proc/42/ns/pid' });
  });

  it('keeps an absolute root and the spec mount at a sandbox file destination', () => {
    const input = { ...base(), root: { path: '/abs/rootfs', readonly: true }, mounts: [{ destination: '/etc/hosts', type: 'bind', source: '/x', options: ['bind'] }] };
    const spec = planSpec(input, ctx);
    expect(spec.root).toEqual({ path: '/abs/rootfs', readonly: true });
    expect(spec.mounts?.filter((m) => m.destination === '/etc/hosts')).toEqual([input.mounts[0]]);
  });

  it.each([
    ['no args', (s: OciSpec) => (s.process!.args = []), /process.args/],
    ['relative cwd', (s: OciSpec) => (s.process!.cwd = 'tmp'), /process.cwd/],
    ['bad env', (s: OciSpec) => (s.process!.env = ['NOEQUALS']), /process.env\[0\]/],
    ['unknown namespace', (s: OciSpec) => s.linux!.namespaces!.push({ type: 'bogus' }), /linux.namespaces\[4\].type/],
    ['relative mount', (s: OciSpec) => (s.mounts = [{ destination: 'tmp', type: 'tmpfs' }]), /mounts\[0\].destination/],
    ['user ns by path', (s: OciSpec) => s.linux!.namespaces!.push({ type: 'user', path: '/proc/1/ns/user' }), /user/],
  ])('rejects %s naming the field', (_name, mutate, message) => {
    const spec = base();
    mutate(spec);
    expect(() => planSpec(spec, ctx)).toThrow(InvalidArgumentError);
    expect(() => planSpec(spec, ctx)).toThrow(message);
  });
});
