import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse, TomlError } from 'smol-toml';
import { DeployError } from './deploy-error';
import { onHost, type DeployOptions } from './options';

/**
 * Where a node keeps the containerd config, by distribution (#3894: runtimes "not found" on k3s
 * because the runtime went into a file its containerd never reads). First match wins.
 */
export interface ContainerdFlavour {
  name: string;
  /** Node path whose presence marks the flavour; none: always (the plain containerd last). */
  marker?: string;
  /** Node path of the file to edit. */
  config: string;
  /** k3s/RKE2 regenerate config.toml at every start from config.toml.tmpl: the template is
   * edited, created from this generated file when there is none yet. */
  base?: string;
  /** systemd units that run containerd, the first installed one is restarted. */
  units: string[];
}

const rancher = (dist: string, units: string[]): ContainerdFlavour => {
  const dir = `/var/lib/rancher/${dist}/agent/etc/containerd`;
  return { name: dist, marker: `${dir}/config.toml`, config: `${dir}/config.toml.tmpl`, base: `${dir}/config.toml`, units };
};

export const FLAVOURS: readonly ContainerdFlavour[] = [
  rancher('k3s', ['k3s', 'k3s-agent']),
  rancher('rke2', ['rke2-server', 'rke2-agent']),
  { name: 'containerd', config: '/etc/containerd/config.toml', units: ['containerd'] },
];

/** The flavour of this node, or the config the options name (a plain containerd's). */
export function containerdFlavour(options: Pick<DeployOptions, 'hostRoot' | 'containerdConfig'>): ContainerdFlavour {
  if (options.containerdConfig) return { name: 'given', config: options.containerdConfig, units: ['containerd'] };
  return FLAVOURS.find((f) => !f.marker || existsSync(onHost(options, f.marker)))!;
}

export interface FoundConfig {
  flavour: ContainerdFlavour;
  /** The file's bytes as found, null when it does not exist. */
  original: string | null;
  /** What editing starts from: the original, else the flavour's base, else nothing. */
  start: string | null;
  /** containerd's config version: 2, or 'none' when there is no config (or only comments). */
  version: 2 | 'none';
}

/** Reads and understands the node's containerd config; refuses what it cannot edit safely. */
export function findConfig(options: Pick<DeployOptions, 'hostRoot' | 'containerdConfig'>): FoundConfig {
  const flavour = containerdFlavour(options);
  const read = (nodePath: string | undefined): string | null =>
    nodePath && existsSync(onHost(options, nodePath)) ? readFileSync(onHost(options, nodePath), 'utf8') : null;
  const original = read(flavour.config);
  const start = original ?? read(flavour.base);
  return { flavour, original, start, version: configVersion(start, flavour.config) };
}

function parseConfig(text: string, path: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (err) {
    const reason = err instanceof TomlError ? `line ${err.line}, column ${err.column}: ${err.message.split('\n')[0]}` : (err as Error).message;
    throw new DeployError('CONFIG_FORMAT', `${path} is not valid TOML (${reason}): refusing to edit it`);
  }
}

/** Understands containerd 1.6/1.7's version 2 only; anything else is refused, never rewritten. */
export function configVersion(text: string | null, path: string): 2 | 'none' {
  if (text === null) return 'none';
  const doc = parseConfig(text, path);
  if (Object.keys(doc).length === 0) return 'none';
  const v = doc.version;
  if (v === 2) return 2;
  if (v === undefined || v === 1) {
    throw new DeployError(
      'CONFIG_FORMAT',
      `${path} is a version 1 containerd config (no "version = 2"): kata-deploy writes version 2 tables (plugin names differ in version 1); convert the config to version 2 (containerd config default shows the layout) and retry`,
    );
  }
  if (v === 3) {
    throw new DeployError('CONFIG_FORMAT', `${path} is a version 3 containerd config (containerd 2.x): kata-deploy supports containerd 1.6/1.7 (version 2) only`);
  }
  throw new DeployError('CONFIG_FORMAT', `${path} has containerd config version ${JSON.stringify(v)}, which kata-deploy does not know: refusing to edit it`);
}

const tomlString = (s: string): string => JSON.stringify(s);

/** Deep equality of parsed documents (smol-toml's tables have a null prototype; the expectations do not). */
const sameDoc = (a: unknown, b: unknown): boolean => isDeepStrictEqual(structuredClone(a), structuredClone(b));

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** `base` with the tables of `add` merged in (what TOML means by defining more tables later in a file). */
function mergeTables(base: Table, add: Table): Table {
  const out: Table = { ...base };
  for (const [k, v] of Object.entries(add)) out[k] = isTable(v) && isTable(out[k]) ? mergeTables(out[k], v) : v;
  return out;
}

const CRI_RUNTIMES = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes';

/** The CRI runtimes a parsed config names (undefined: none, so the CRI plugin's defaults apply). */
function runtimesOf(doc: Table): Table | undefined {
  const cri = (doc.plugins as Table | undefined)?.['io.containerd.grpc.v1.cri'] as Table | undefined;
  return (cri?.containerd as Table | undefined)?.runtimes as Table | undefined;
}

/**
 * The tables kata-deploy appends: the `kata` runtime (Kata's settings: the shim at its
 * runtime_path, privileged_without_host_devices, pod_annotations io.katacontainers.*, ConfigPath),
 * and `runc` when the config names no runtime, because naming one replaces the CRI plugin's
 * default map and its default handler runc would be gone.
 */
export function runtimeBlock(prefix: string, withRunc: boolean): string {
  return [
    '',
    '# Added by kata-deploy (kata-ts): `kata-deploy cleanup` takes it out again.',
    ...(withRunc ? [`[${CRI_RUNTIMES}.runc]`, '  runtime_type = "io.containerd.runc.v2"'] : []),
    `[${CRI_RUNTIMES}.kata]`,
    '  runtime_type = "io.containerd.kata.v2"',
    `  runtime_path = ${tomlString(`${prefix}/bin/containerd-shim-kata-v2`)}`,
    '  privileged_without_host_devices = true',
    '  pod_annotations = ["io.katacontainers.*"]',
    `[${CRI_RUNTIMES}.kata.options]`,
    `  ConfigPath = ${tomlString(`${prefix}/share/defaults/kata-containers/configuration-qemu.toml`)}`,
    '',
  ].join('\n');
}

/**
 * `text` with the kata runtime appended as tables of its own, every other byte kept. Not a
 * drop-in in `imports`: containerd 1.6/1.7 replace a whole plugin section with an import's
 * (mergeConfig: `to.Plugins[k] = v`), so a drop-in naming the CRI plugin would wipe the node's own
 * CRI settings (its runc runtime, sandbox image, CNI). Proven by parsing: the result must be the
 * original plus exactly these tables, or nothing is written.
 */
export function addRuntime(text: string | null, prefix: string, path: string): string {
  const before = text === null ? {} : parseConfig(text, path);
  const existing = runtimesOf(before);
  if (existing?.kata !== undefined) {
    if (text !== null && (text.includes(runtimeBlock(prefix, false)) || text.includes(runtimeBlock(prefix, true)))) return text;
    throw new DeployError('CONFIG_FORMAT', `${path} already configures a runtime "kata" that kata-deploy did not write: refusing to change it`);
  }
  const block = runtimeBlock(prefix, existing === undefined);
  const head = Object.keys(before).length === 0 ? 'version = 2\n' : '';
  const body = text === null || text === '' || text.endsWith('\n') ? (text ?? '') : `${text}\n`;
  const edited = head + body + block;
  const expected = mergeTables({ ...before, version: 2 }, parseConfig(block, 'the runtime tables'));
  let after: unknown;
  try {
    after = parse(edited);
  } catch (err) {
    throw new DeployError('CONFIG_FORMAT', `${path}: the kata runtime cannot be added as tables of its own (${(err as Error).message.split('\n')[0]}): refusing to edit it`);
  }
  if (!sameDoc(after, expected)) {
    throw new DeployError('CONFIG_FORMAT', `${path}: appending the kata runtime would change more than that runtime: refusing to edit it`);
  }
  return edited;
}

/**
 * `text` without the tables addRuntime appended, for a config changed after install (else
 * cleanup restores the original bytes); refused when they are no longer there as written.
 */
export function removeRuntime(text: string, prefix: string, path: string): string {
  for (const block of [runtimeBlock(prefix, false), runtimeBlock(prefix, true)]) {
    const at = text.indexOf(block);
    if (at < 0) continue;
    const edited = text.slice(0, at) + text.slice(at + block.length);
    try {
      if (runtimesOf(parse(edited))?.kata === undefined) return edited;
    } catch {
      /* not this cut */
    }
  }
  if (runtimesOf(parseConfig(text, path))?.kata === undefined) return text;
  throw new DeployError('CONFIG_CHANGED', `${path} changed since install and its kata runtime is no longer the tables kata-deploy appended: remove it by hand`);
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
