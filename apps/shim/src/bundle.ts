import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '@kata-ts/errors';
import { parseOciJson, validateId, type OciSpec } from '@kata-ts/oci';

export const CONTAINER_TYPE_ANNOTATION = 'io.kubernetes.cri.container-type';
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

/** The bundle's config.json (written by containerd before `start`). */
export function readBundleSpec(bundle: string): OciSpec {
  const path = join(bundle, 'config.json');
  try {
    return parseOciJson(readFileSync(path, 'utf8')) as OciSpec;
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the OCI spec ${path}: ${(err as Error).message}`);
  }
}

export interface PodIdentity {
  /** The sandbox (pod) this container belongs to: its own id unless CRI says it joins a pod. */
  sandboxId: string;
  /** True for the container that creates the sandbox (CRI sandbox, or a lone `ctr run`). */
  isSandbox: boolean;
  /** True for CRI's pod sandbox (pause) container, whose namespaces the pod's containers join. */
  isPodSandbox: boolean;
}

/**
 * Kata groups every container of a pod into the pod's shim and VM by the CRI annotations:
 * `container-type=container` with `sandbox-id=<pod>` joins that pod; anything else (the pod's
 * sandbox container, or `ctr run` without annotations) starts a sandbox of its own.
 */
export function podIdentity(id: string, spec: OciSpec): PodIdentity {
  // Both ids name directories (the sandbox's run dir, the share): runc's format, or refused.
  validateId(id);
  const annotations = spec.annotations ?? {};
  const sandboxId = annotations[SANDBOX_ID_ANNOTATION];
  const type = annotations[CONTAINER_TYPE_ANNOTATION];
  if (type === 'container' && sandboxId) {
    validateId(sandboxId, `${SANDBOX_ID_ANNOTATION} annotation`);
    return { sandboxId, isSandbox: false, isPodSandbox: false };
  }
  return { sandboxId: id, isSandbox: true, isPodSandbox: type === 'sandbox' };
}

export function writeBundleAddress(bundle: string, address: string): void {
  writeFileSync(join(bundle, 'address'), address);
}
