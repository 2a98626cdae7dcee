import type { Any } from './gen/google/protobuf/any';

/**
 * Packing only: reading these Anys needs exact 64-bit integers (RLIMIT_INFINITY), which
 * JSON.parse rounds, so @kata-ts/oci's ociProcessFromAny/ociResourcesFromAny do that.
 *
 * Type URLs of the OCI runtime-spec structs containerd's typeurl registers as JSON (not protobuf):
 * the Any's value is the JSON text of the struct.
 */
export const OCI_PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
export const OCI_LINUX_RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

export function packJsonAny(typeUrl: string, value: unknown): Any {
  return { typeUrl, value: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** ExecProcessRequest.spec: the OCI Process of an exec, as JSON. */
export function packOciProcess(process: unknown): Any {
  return packJsonAny(OCI_PROCESS_TYPE_URL, process);
}
