import { lstatSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DeployError } from './deploy-error';
import { onHost, SHIM, type DeployOptions } from './options';

/** Node path of the link, and what it points to (node paths). */
export function shimLink(options: Pick<DeployOptions, 'shimLinkDir' | 'prefix'>): { path: string; target: string } {
  return { path: join(options.shimLinkDir, SHIM), target: join(options.prefix, 'bin', SHIM) };
}

/** Whether the link is absent or ours; anything else there is someone else's shim. */
export function checkShimLink(options: Pick<DeployOptions, 'hostRoot' | 'shimLinkDir' | 'prefix'>): string | undefined {
  const { path, target } = shimLink(options);
  const st = lstatSync(onHost(options, path), { throwIfNoEntry: false });
  if (!st || (st.isSymbolicLink() && readlinkSync(onHost(options, path)) === target)) return undefined;
  return `${path} exists and is not kata-deploy's link to ${target}: another kata install? remove it first`;
}

/** Links the shim into the directory (a new link renamed into place). */
export function linkShim(options: DeployOptions): void {
  const problem = checkShimLink(options);
  if (problem) throw new DeployError('NOT_OURS', problem);
  const { path, target } = shimLink(options);
  const tmp = `${onHost(options, path)}.kata-deploy-new`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, onHost(options, path));
}

/** Removes the link when it is still ours. */
export function unlinkShim(options: Pick<DeployOptions, 'hostRoot'>, path: string, target: string): void {
  const file = onHost(options, path);
  if (lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink() && readlinkSync(file) === target) rmSync(file);
}
