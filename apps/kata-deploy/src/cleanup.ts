import { existsSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { waitForHandler } from './containerd-client';
import { removeImport, sha256 } from './containerd-config';
import { writeFileAtomic } from './atomic-write';
import type { RunContext } from './install';
import { readRecord, removeRecord, saveRecord, type InstallRecord } from './install-record';
import { labelNode } from './node-label';
import { dropInPath, onHost, RUNTIME_HANDLER } from './options';
import { restartContainerd } from './restart';

/**
 * The containerd config back as it was: the original bytes when the file is still what install
 * wrote; only the import taken out when someone changed it since (logged).
 */
function restoreConfig({ options, log }: RunContext, c: NonNullable<InstallRecord['containerd']>): void {
  const file = onHost(options, c.path);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (current === c.original) {
    log.info({ step: 'containerd-config', path: c.path }, `${c.path}: as before install`);
  } else if (current !== null && sha256(current) === c.written) {
    if (c.original === null) rmSync(file);
    else writeFileAtomic(file, c.original, statSync(file).mode & 0o7777);
    log.info({ step: 'containerd-config', path: c.path }, `${c.path}: ${c.original === null ? 'removed (install created it)' : 'original bytes restored'}`);
  } else if (current !== null) {
    writeFileAtomic(file, removeImport(current, dropInPath(options), c.path), statSync(file).mode & 0o7777);
    log.warn({ step: 'containerd-config', path: c.path }, `${c.path} changed since install: only the import of ${dropInPath(options)} removed`);
  } else {
    log.warn({ step: 'containerd-config', path: c.path }, `${c.path} was removed since install: nothing to restore`);
  }
}

/**
 * cleanup: undoes what the install record says install did, in Kata's order: label `cleanup`,
 * containerd config, artifacts, then containerd restarted last; the record and the directories
 * install created go after it. Safe to run again after a crash, and a no-op with no record.
 */
export async function cleanup(ctx: RunContext): Promise<void> {
  const { options, log } = ctx;
  if (ctx.label) {
    await labelNode(options, 'cleanup');
    log.info({ step: 'label', node: options.nodeName }, 'node labelled katacontainers.io/kata-runtime=cleanup');
  }
  const record = readRecord(options);
  if (!record) {
    log.info({ step: 'record' }, `no install record in ${options.stateDir}: nothing to undo`);
    return;
  }
  record.complete = false;
  saveRecord(options, record);
  if (record.containerd) restoreConfig(ctx, record.containerd);
  rmSync(onHost(options, record.prefix), { recursive: true, force: true });
  log.info({ step: 'artifacts', prefix: record.prefix }, `${record.prefix} removed`);

  const how = await restartContainerd(options, record.containerd?.unit ?? 'containerd');
  log.info({ step: 'restart', how }, 'containerd restarted');
  const info = await waitForHandler(onHost(options, options.containerdAddress), RUNTIME_HANDLER, false, options.waitTimeoutMs);
  log.info({ step: 'wait', version: info.version, handlers: info.handlers }, `containerd ${info.version} answers without runtime ${RUNTIME_HANDLER}`);

  removeRecord(options);
  for (const dir of [...record.createdDirs].reverse()) {
    try {
      rmdirSync(onHost(options, dir));
    } catch {
      /* not empty: something else uses it now */
    }
  }
  log.info({ step: 'done' }, `kata-ts removed from ${record.prefix}`);
}

/** reset (the cleanup DaemonSet): the label goes, so that DaemonSet leaves the node. */
export async function reset(ctx: RunContext): Promise<void> {
  if (ctx.label) await labelNode(ctx.options, null);
  ctx.log.info({ step: 'label', node: ctx.options.nodeName }, 'label katacontainers.io/kata-runtime removed');
}
