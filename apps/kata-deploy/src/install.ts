import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { syncArtifacts } from './artifacts';
import { writeFileAtomic } from './atomic-write';
import { containerdInfo, waitForHandler } from './containerd-client';
import { restoreConfig } from './config-restore';
import { addRuntime, sha256 } from './containerd-config';
import { DeployError } from './deploy-error';
import { hostCheck } from './host-check';
import { readRecord, saveRecord, type InstallRecord } from './install-record';
import { labelNode } from './node-label';
import { onHost, RUNTIME_HANDLER, type RunContext } from './options';
import { restartContainerd, systemdUnit } from './restart';
import { linkShim, shimLink } from './shim-link';

/** Creates `nodeDir` and its missing parents, noting them in the record first (cleanup removes them). */
export function ensureDir({ options }: RunContext, record: InstallRecord, nodeDir: string): void {
  const created: string[] = [];
  for (let d = nodeDir; !existsSync(onHost(options, d)); d = dirname(d)) created.unshift(d);
  if (!created.length) return;
  record.createdDirs.push(...created.filter((d) => !record.createdDirs.includes(d)));
  saveRecord(options, record);
  mkdirSync(onHost(options, nodeDir), { recursive: true });
}

/** The record of an earlier install (complete, or cut short), or a new one; refuses a prefix kata-deploy did not write. */
function startRecord({ options }: RunContext): InstallRecord {
  const old = readRecord(options);
  if (old) {
    if (old.prefix !== options.prefix) throw new DeployError('NOT_OURS', `kata-ts is installed at ${old.prefix} (record ${options.stateDir}): run cleanup before installing at ${options.prefix}`);
    return { ...old, complete: false };
  }
  const target = onHost(options, options.prefix);
  if (existsSync(target) && (!statSync(target).isDirectory() || readdirSync(target).length > 0)) {
    throw new DeployError('NOT_OURS', `${options.prefix} exists on the node but kata-deploy has no record of installing it (${options.stateDir}): remove it, or choose another --prefix`);
  }
  const record: InstallRecord = { version: 1, prefix: options.prefix, createdDirs: [], complete: false };
  for (let d = options.stateDir; !existsSync(onHost(options, d)); d = dirname(d)) record.createdDirs.unshift(d);
  return record;
}

/**
 * install: host check (nothing changes when something is missing), artifacts, containerd config,
 * restart, wait for the runtime, label. Each step is safe to run again, so an install after a
 * crash anywhere, a second install, or an upgrade over an older one all end in a working node.
 */
export async function install(ctx: RunContext): Promise<void> {
  const { options, log } = ctx;
  const check = await hostCheck(options);
  for (const item of check.items) log.info({ step: 'host-check', item: item.id, status: item.status }, item.detail);
  const missing = check.items.filter((i) => i.status === 'missing');
  if (missing.length || !check.config) {
    throw new DeployError('HOST_CHECK', `host check failed, nothing was changed: ${missing.map((i) => `${i.id}: ${i.detail}`).join('; ')}`);
  }
  const found = check.config;

  const record = startRecord(ctx);
  saveRecord(options, record);
  log.info({ step: 'record', path: options.stateDir }, 'install record written');

  ensureDir(ctx, record, dirname(options.prefix));
  const synced = syncArtifacts(options.artifacts, onHost(options, options.prefix), { from: resolve(options.artifacts), to: options.prefix });
  log.info(
    { step: 'artifacts', prefix: options.prefix, written: synced.written.length, unchanged: synced.unchanged, relocated: synced.relocated, removed: synced.removed },
    `artifacts at ${options.prefix}: ${synced.written.length} written (new file renamed into place), ${synced.unchanged} unchanged, ${synced.removed.length} removed`,
  );

  ensureDir(ctx, record, options.shimLinkDir);
  record.shimLink = shimLink(options).path;
  saveRecord(options, record);
  linkShim(options);
  log.info({ step: 'shim-link', path: record.shimLink }, `${record.shimLink} -> ${shimLink(options).target}`);

  const path = found.flavour.config;
  if (record.containerd && record.containerd.path !== path) {
    throw new DeployError('NOT_OURS', `an earlier install edited ${record.containerd.path}, but this node's containerd config is now ${path}: run cleanup first`);
  }
  record.containerd ??= { flavour: found.flavour.name, path, original: found.original, unit: systemdUnit(options, found.flavour.units) };
  const edited = addRuntime(found.start, options.prefix, path);
  const changed = edited !== found.original;
  if (changed) {
    ensureDir(ctx, record, dirname(path));
    record.containerd.written = sha256(edited);
    saveRecord(options, record);
    const mode = existsSync(onHost(options, path)) ? statSync(onHost(options, path)).mode & 0o7777 : 0o644;
    writeFileAtomic(onHost(options, path), edited, mode);
  }
  log.info({ step: 'containerd-config', path, flavour: found.flavour.name, version: found.version, changed }, `${path}: ${changed ? 'runtime kata added' : 'already has runtime kata'}`);

  const socket = onHost(options, options.containerdAddress);
  const listed = !changed && (await containerdInfo(socket).then((i) => i.handlers.includes(RUNTIME_HANDLER), () => false));
  if (listed) {
    log.info({ step: 'restart' }, `containerd already lists runtime ${RUNTIME_HANDLER}: no restart`);
  } else {
    const how = await restartContainerd(options, record.containerd.unit);
    log.info({ step: 'restart', how }, 'containerd restarted');
  }
  let info;
  try {
    info = await waitForHandler(socket, RUNTIME_HANDLER, true, options.waitTimeoutMs);
  } catch (err) {
    // containerd refused the edited config (or lost its CRI plugin): give the node its own back.
    const { unit } = record.containerd;
    restoreConfig(ctx, record.containerd);
    delete record.containerd;
    saveRecord(options, record);
    await restartContainerd(options, unit);
    throw new DeployError('RUNTIME_NOT_LISTED', `${(err as Error).message}; ${path} restored and containerd restarted: the node runs as before install`);
  }
  log.info({ step: 'wait', version: info.version, handlers: info.handlers }, `containerd ${info.version} lists runtime ${RUNTIME_HANDLER}`);

  if (ctx.label) {
    await labelNode(options, 'true');
    log.info({ step: 'label', node: options.nodeName }, 'node labelled katacontainers.io/kata-runtime=true');
  }
  record.complete = true;
  saveRecord(options, record);
  log.info({ step: 'done' }, `kata-ts installed at ${options.prefix}`);
}
