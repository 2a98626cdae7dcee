import type { Any } from './gen/google/protobuf/any';
import { ProtocolError } from './protocol-error';

/**
 * Type URLs of the OCI runtime-spec structs containerd's typeurl registers as JSON (not protobuf):
 * the Any's value is the JSON text of the struct.
 */
export const OCI_PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';
export const OCI_LINUX_RESOURCES_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources';

export function packJsonAny(typeUrl: string, value: unknown): Any {
  return { typeUrl, value: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** Parses a JSON-valued Any; the caller validates the shape, this checks the type and the syntax. */
export function unpackJsonAny(typeUrl: string, any: Any): unknown {
  if (any.typeUrl !== typeUrl) {
    throw new ProtocolError('ERR_ANY_TYPE_MISMATCH', `Any holds ${any.typeUrl}, expected ${typeUrl}`);
  }
  try {
    return JSON.parse(Buffer.from(any.value).toString('utf8'));
  } catch (err) {
    throw new ProtocolError('ERR_ANY_BAD_JSON', `Any ${typeUrl} is not valid JSON: ${(err as Error).message}`);
  }
}

/** ExecProcessRequest.spec: the OCI Process of an exec, as JSON. */
export function packOciProcess(process: unknown): Any {
  return packJsonAny(OCI_PROCESS_TYPE_URL, process);
}

export function unpackOciProcess(any: Any): unknown {
  return unpackJsonAny(OCI_PROCESS_TYPE_URL, any);
}
