import { describe, expect, it } from 'vitest';
import { cri } from '@kata-ts/protocols';
import { containerConfig, podSandboxConfig, podSandboxConfigFromStatus } from './pod-config';

describe('pod and container configs', () => {
  it('defaults like the kubelet: host network without hostname, own PID namespace', () => {
    const pod = podSandboxConfig({ name: 'p' });
    expect(pod).toMatchObject({ hostname: '', metadata: { name: 'p', namespace: 'default' } });
    expect(pod.linux?.securityContext?.namespaceOptions?.network).toBe(cri.NamespaceMode.NODE);
    expect(podSandboxConfig({ name: 'q', hostNetwork: false })).toMatchObject({ hostname: 'q' });
    const c = containerConfig({ name: 'c', image: 'i', memoryLimitBytes: 5 });
    expect(c.linux?.securityContext?.namespaceOptions?.pid).toBe(cri.NamespaceMode.CONTAINER);
    expect(c.linux?.resources?.memoryLimitInBytes).toBe(5);
    expect(containerConfig({ name: 'c', image: 'i', sharePodPid: true }).linux?.securityContext?.namespaceOptions?.pid).toBe(cri.NamespaceMode.POD);
  });

  it('rebuilds the log directory and hostname from containerd’s verbose info', () => {
    const status = cri.PodSandboxStatus.fromPartial({ id: 'x', metadata: { name: 'p' }, annotations: { a: 'b' } });
    const info = { info: JSON.stringify({ config: { log_directory: '/logs', hostname: 'h' } }) };
    expect(podSandboxConfigFromStatus(status, info)).toMatchObject({ logDirectory: '/logs', hostname: 'h', annotations: { a: 'b' } });
    expect(podSandboxConfigFromStatus(status, { info: 'not json' })).toMatchObject({ logDirectory: '', metadata: { name: 'p' } });
  });
});
