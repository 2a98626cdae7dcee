import { OCI_LINUX_RESOURCES_TYPE_URL, OCI_PROCESS_TYPE_URL, ProtocolError, type google } from '@kata-ts/protocols';
import { parseOciJson } from './oci-json';
import type { OciLinuxResources, OciProcess } from './spec';

/*
 * containerd sends an exec's Process (ExecProcessRequest.spec) and an update's LinuxResources
 * (UpdateTaskRequest.resources) as JSON in an Any. Parsed here with parseOciJson, not JSON.parse,
 * so an rlimit of RLIMIT_INFINITY copied from the container's spec stays exact.
 */

function unpackOciJson(typeUrl: string, any: google.Any): unknown {
  if (any.typeUrl !== typeUrl) throw new ProtocolError('ANY_TYPE_MISMATCH', `Any holds ${any.typeUrl}, expected ${typeUrl}`);
  return parseOciJson(Buffer.from(any.value).toString('utf8'));
}

export function ociProcessFromAny(any: google.Any): OciProcess {
  return unpackOciJson(OCI_PROCESS_TYPE_URL, any) as OciProcess;
}

export function ociResourcesFromAny(any: google.Any): OciLinuxResources {
  return unpackOciJson(OCI_LINUX_RESOURCES_TYPE_URL, any) as OciLinuxResources;
}
