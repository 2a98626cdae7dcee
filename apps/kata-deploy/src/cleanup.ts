import { rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { restoreConfig } from './config-restore';
import { waitForHandler } from './containerd-client';
import { readRecord, removeRecord, saveRecord } from './install-record';
import { labelNode } from './node-label';
import { onHost, RUNTIME_HANDLER, SHIM, type RunContext } from './options';
import { unlinkShim } from './shim-link';
import { restartContainerd } from './restart';

/**
 * cleanup: undoes what the install record says install did, in Kata's order: label `cleanup`,
 * containerd config, artifacts, then containerd restarted last; the record and the directories
 * install created go after it. Safe to run again after a crash, and a no-op with no record.
 */
export async function cleanup(ctx: RunContext): Promise<void> {
  // An API server out of reach must not keep the node configured: undo first, fail after.
  let labelError: unknown;
  if (ctx.label) {
    try {
      await labelNode(ctx.options, 'cleanup');
      ctx.log.info({ step: 'label', node: ctx.options.nodeName }, 'node labelled katacontainers.io/kata-runtime=cleanup');
    } catch (err) {
      labelError = err;
    }
  }
  await undo(ctx);
  if (labelError) throw labelError;
}

async function undo(ctx: RunContext): Promise<void> {
  const { options, log } = ctx;
  const record = readRecord(options);
  if (!record) {
    log.info({ step: 'record' }, `no install record in ${options.stateDir}: nothing to undo`);
    return;
  }
  record.complete = false;
  saveRecord(options, record);
  if (record.containerd) restoreConfig(ctx, record.containerd);
  if (record.shimLink) {
    unlinkShim(options, record.shimLink, join(record.prefix, 'bin', SHIM));
    log.info({ step: 'shim-link', path: record.shimLink }, `${record.shimLink} removed`);
  }
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
