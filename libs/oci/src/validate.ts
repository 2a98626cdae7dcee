import { OciError } from './oci-error';
import type { OciProcess, OciSpec } from './spec';

/** runc's bounds for uids and gids (libcontainer/user): a uid past them would reach setuid(2) as -1 ("unchanged": root). */
const MAX_ID = 2_147_483_647;
/** runc's container id format (libcontainer's validateID). */
const ID_FORMAT = /^[\w+.-]+$/;

const invalid = (message: string) => new OciError('INVALID_SPEC', message);

/** A container or exec id as runc accepts it; ids become paths on the host and in the guest. */
export function validateId(id: string, what = 'container id'): void {
  if (!ID_FORMAT.test(id) || id === '.' || id === '..') throw invalid(`invalid ${what} format: ${JSON.stringify(id)}`);
}

function validId(value: unknown): boolean {
  return (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID) || (typeof value === 'bigint' && value >= 0n && value <= BigInt(MAX_ID));
}

function checkIds(where: string, ids: unknown[]): void {
  for (const id of ids) if (!validId(id)) throw invalid(`${where}: ${String(id)}: uids and gids must be in range 0-${MAX_ID}`);
}

/** A process (config.json's, or an exec's) as strictly as runc checks it before running it. */
export function validateProcess(p: OciProcess, where = 'process'): void {
  if (!p.args?.length) throw invalid(`${where}.args must not be empty`);
  if (!p.cwd?.startsWith('/')) throw invalid(`${where}.cwd ${JSON.stringify(p.cwd ?? '')} is not an absolute path`);
  if (!p.user) throw invalid(`${where}.user is missing`);
  checkIds(`${where}.user.uid`, [p.user.uid]);
  checkIds(`${where}.user.gid`, [p.user.gid]);
  checkIds(`${where}.user.additionalGids`, p.user.additionalGids ?? []);
}

/**
 * The checks runc makes of a config.json before it creates anything, in one place: the process
 * (ids, cwd, args), mount destinations and user-namespace id mappings. Throws OciError
 * INVALID_SPEC naming the field.
 */
export function validateSpec(spec: OciSpec): void {
  if (spec.process) validateProcess(spec.process);
  for (const m of spec.mounts ?? []) {
    if (!m.destination?.startsWith('/')) throw invalid(`mounts: destination ${JSON.stringify(m.destination ?? '')} is not an absolute path`);
  }
  for (const key of ['uidMappings', 'gidMappings'] as const) {
    for (const m of spec.linux?.[key] ?? []) checkIds(`linux.${key}`, [m.containerID, m.hostID]);
  }
}
