import { describe, expect, it } from 'vitest';
import { cri } from './index';
import { wire } from './testing/wire-bytes';

describe('runtime.v1 (Kubernetes CRI)', () => {
  it('names the services as the CRI plugin serves them', () => {
    expect(cri.RuntimeServiceDefinition.fullName).toBe('runtime.v1.RuntimeService');
    expect(cri.ImageServiceDefinition.fullName).toBe('runtime.v1.ImageService');
    expect(cri.RuntimeServiceDefinition.methods.runPodSandbox.name).toBe('RunPodSandbox');
    expect(cri.RuntimeServiceDefinition.methods.execSync.responseType).toBe(cri.ExecSyncResponse);
  });

  it('encodes RunPodSandboxRequest with runtime_handler and host network to hand-computed bytes', () => {
    const request = cri.RunPodSandboxRequest.fromPartial({
      config: {
        metadata: { name: 'p', uid: 'u', namespace: 'n', attempt: 1 },
        annotations: { a: 'b' },
        linux: { securityContext: { namespaceOptions: { network: cri.NamespaceMode.NODE } } },
      },
      runtimeHandler: 'kata',
    });
    const bytes = cri.RunPodSandboxRequest.encode(request).finish();
    // prettier-ignore
    expect([...bytes]).toEqual(wire(
      0x0a, 29,                                       // 1 config: PodSandboxConfig
      0x0a, 11,                                       //   1 metadata: PodSandboxMetadata
      0x0a, 1, 'p', 0x12, 1, 'u', 0x1a, 1, 'n', 0x20, 1, //  1 name, 2 uid, 3 namespace, 4 attempt
      0x3a, 6, 0x0a, 1, 'a', 0x12, 1, 'b',            //   7 annotations: map entry {1 key, 2 value}
      0x42, 6,                                        //   8 linux: LinuxPodSandboxConfig
      0x12, 4,                                        //     2 security_context
      0x0a, 2,                                        //       1 namespace_options
      0x08, 2,                                        //         1 network = NODE
      0x12, 4, 'kata',                                // 2 runtime_handler
    ));
    expect(cri.RunPodSandboxRequest.decode(bytes)).toEqual(request);
  });

  it('decodes ContainerStatus exit_code (7) and skips fields this subset leaves out', () => {
    const bytes = Uint8Array.from(wire(
      0x0a, 13,                                       // 1 status
      0x0a, 1, 'c',                                   //   1 id
      0x18, 2,                                        //   3 state = CONTAINER_EXITED
      0x38, 3,                                        //   7 exit_code
      0x8a, 0x01, 3, 'a', 'b', 'c',                   //   17 image_id (newer API, not in our subset)
    ));
    const decoded = cri.ContainerStatusResponse.decode(bytes);
    expect(decoded.status).toMatchObject({ id: 'c', state: cri.ContainerState.CONTAINER_EXITED, exitCode: 3 });
  });
});
