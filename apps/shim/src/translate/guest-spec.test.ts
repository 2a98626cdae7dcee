import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { planGuestSpec } from './guest-spec';

describe('planGuestSpec', () => {
  it('joins the pod PID namespace for a container given the sandbox’s by path', () => {
    const spec = { ociVersion: '1.1.0', hostname: 'pod-a', linux: { namespaces: [{ type: 'pid', path: '/proc/123/ns/pid' }, { type: 'uts' }] } };
    expect(planGuestSpec(spec, false)).toEqual({ spec, sandboxPidns: true });
    expect(planGuestSpec({ ociVersion: '1.1.0', linux: { namespaces: [{ type: 'pid' }, { type: 'uts' }] } }, false).sandboxPidns).toBe(false);
  });

  it('lets the pod sandbox found the shared PID namespace', () => {
    expect(planGuestSpec({ ociVersion: '1.1.0', linux: { namespaces: [{ type: 'pid' }, { type: 'uts' }] } }, true).sandboxPidns).toBe(true);
  });

  it('gives a container of the node’s UTS namespace its own, named like the node', () => {
    const { spec } = planGuestSpec({ ociVersion: '1.1.0', linux: { namespaces: [{ type: 'pid' }] } }, false);
    expect(spec.hostname).toBe(hostname());
    expect(spec.linux!.namespaces).toEqual([{ type: 'pid' }, { type: 'uts' }]);
    expect(planGuestSpec({ ociVersion: '1.1.0', hostname: 'pod-a', linux: { namespaces: [{ type: 'uts' }] } }, false).spec.hostname).toBe('pod-a');
  });

  it('names a new UTS namespace without a hostname (ctr run) like the node, as runc’s copy of it is', () => {
    expect(planGuestSpec({ ociVersion: '1.1.0', linux: { namespaces: [{ type: 'uts' }] } }, false).spec.hostname).toBe(hostname());
    const joined = { ociVersion: '1.1.0', linux: { namespaces: [{ type: 'uts', path: '/proc/9/ns/uts' }] } };
    expect(planGuestSpec(joined, false).spec).toEqual(joined);
  });
});
