import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { onHost, type DeployOptions } from './options';

/**
 * What install changed on the node, written BEFORE each change so that cleanup, or an install
 * after a crash (kill -9 between any two steps), knows exactly what to undo or carry on from.
 */
export interface InstallRecord {
  version: 1;
  /** Node path of the install. */
  prefix: string;
  /** Node paths of the directories install created (outside the prefix), parents first. */
  createdDirs: string[];
  containerd?: {
    flavour: string;
    /** Node path of the config file install edits. */
    path: string;
    /** Its content before the first install; null when there was no such file. */
    original: string | null;
    /** sha256 of the content install wrote: cleanup restores `original` byte for byte when the file still has it. */
    written?: string;
    /** The systemd unit to restart (when no restart command is given). */
    unit: string;
  };
  /** Node path of the shim link install made on containerd's PATH. */
  shimLink?: string;
  /** Every step done: the node runs kata pods (`kata-deploy status`, the readiness probe). */
  complete: boolean;
}

const FILE = 'install-record.json';

export const recordPath = (options: Pick<DeployOptions, 'hostRoot' | 'stateDir'>): string => join(onHost(options, options.stateDir), FILE);

export function readRecord(options: Pick<DeployOptions, 'hostRoot' | 'stateDir'>): InstallRecord | undefined {
  const path = recordPath(options);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as InstallRecord;
}

export function saveRecord(options: Pick<DeployOptions, 'hostRoot' | 'stateDir'>, record: InstallRecord): void {
  mkdirSync(onHost(options, options.stateDir), { recursive: true, mode: 0o700 });
  writeFileAtomic(recordPath(options), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

export function removeRecord(options: Pick<DeployOptions, 'hostRoot' | 'stateDir'>): void {
  rmSync(onHost(options, options.stateDir), { recursive: true, force: true });
}
