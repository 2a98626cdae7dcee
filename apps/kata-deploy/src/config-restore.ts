import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write';
import { removeRuntime, sha256 } from './containerd-config';
import type { InstallRecord } from './install-record';
import { onHost, type RunContext } from './options';

/**
 * The containerd config back as it was before install: the original bytes when the file is still
 * what install wrote; only the kata runtime taken out when someone changed it since (logged).
 */
export function restoreConfig({ options, log }: RunContext, c: NonNullable<InstallRecord['containerd']>): void {
  const file = onHost(options, c.path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (current === c.original) {
    log.info({ step: 'containerd-config', path: c.path }, `${c.path}: as before install`);
  } else if (current !== null && sha256(current) === c.written) {
    if (c.original === null) rmSync(file);
    else writeFileAtomic(file, c.original, statSync(file).mode & 0o7777);
    log.info({ step: 'containerd-config', path: c.path }, `${c.path}: ${c.original === null ? 'removed (install created it)' : 'original bytes restored'}`);
  } else if (current !== null) {
    writeFileAtomic(file, removeRuntime(current, options.prefix, c.path), statSync(file).mode & 0o7777);
    log.warn({ step: 'containerd-config', path: c.path }, `${c.path} changed since install: only the kata runtime taken out`);
  } else {
    log.warn({ step: 'containerd-config', path: c.path }, `${c.path} was removed since install: nothing to restore`);
  }
}
