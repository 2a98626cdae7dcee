import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { podIdentity } from './bundle';
import { shimSocketPath } from './shim-address';

describe('shim socket address', () => {
  it('is containerd’s convention: sha256 of <address>/<ns>/<id> under /run/containerd/s', () => {
    const expected = createHash('sha256').update('/run/containerd/containerd.sock/default/c1').digest('hex');
    expect(shimSocketPath('/run/containerd/containerd.sock', 'default', 'c1')).toBe(`/run/containerd/s/${expected}`);
  });

  it('groups a pod’s containers by the CRI sandbox id', () => {
    const sandbox = podIdentity('pod1', { ociVersion: '1.1.0', annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': 'pod1' } });
    const member = podIdentity('c2', { ociVersion: '1.1.0', annotations: { 'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.sandbox-id': 'pod1' } });
    const lone = podIdentity('c3', { ociVersion: '1.1.0' });
    expect(sandbox).toEqual({ sandboxId: 'pod1', isSandbox: true, isPodSandbox: true });
    expect(member).toEqual({ sandboxId: 'pod1', isSandbox: false, isPodSandbox: false });
    expect(lone).toEqual({ sandboxId: 'c3', isSandbox: true, isPodSandbox: false });
    expect(shimSocketPath('/a', 'k8s.io', member.sandboxId)).toBe(shimSocketPath('/a', 'k8s.io', sandbox.sandboxId));
  });
});
