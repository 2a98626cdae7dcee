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
  if (v === 2) {
    const imports = doc.imports;
    if (imports !== undefined && !(Array.isArray(imports) && imports.every((i) => typeof i === 'string'))) {
      throw new DeployError('CONFIG_FORMAT', `${path}: imports is not an array of strings: refusing to edit it`);
    }
    return 2;
  }
  if (v === undefined || v === 1) {
    throw new DeployError(
      'CONFIG_FORMAT',
      `${path} is a version 1 containerd config (no "version = 2"): the kata runtime is a version 2 drop-in, which containerd cannot merge into it; convert the config to version 2 (containerd config default shows the layout) and retry`,
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

/** The text before the first table header: where top-level keys such as `imports` live. */
function headLength(text: string): number {
  const m = /^[ \t]*\[/m.exec(text);
  return m ? m.index : text.length;
}

/**
 * `text` with `importPath` added first to `imports`, every other byte kept (comments, order,
 * layout). The edit is a text insertion, proven by parsing the result: it must equal the
 * original with only that import added, or nothing is written.
 */
export function addImport(text: string | null, importPath: string, path: string): string {
  const before = text === null ? {} : parseConfig(text, path);
  const imports = (before.imports as string[] | undefined) ?? [];
  if (imports.includes(importPath)) return text!;
  const q = tomlString(importPath);
  let edited: string;
  const head = (text ?? '').slice(0, headLength(text ?? ''));
  const array = /^[ \t]*imports[ \t]*=[ \t]*\[/m.exec(head);
  const version = /^[ \t]*version[ \t]*=.*$/m.exec(head);
  if (text === null || Object.keys(before).length === 0) {
    edited = `version = 2\nimports = [${q}]\n${text ?? ''}`;
  } else if (array) {
    const at = array.index + array[0].length;
    edited = text.slice(0, at) + (/^\s*\]/.test(text.slice(at)) ? q : `${q}, `) + text.slice(at);
  } else if (version) {
    const at = version.index + version[0].length;
    edited = `${text.slice(0, at)}\nimports = [${q}]${text.slice(at)}`;
  } else {
    throw new DeployError('CONFIG_FORMAT', `${path}: no top-level "version" line to add imports after: refusing to edit it`);
  }
  const expected = { ...before, version: before.version ?? 2, imports: [importPath, ...imports] };
  if (!sameDoc(parseConfig(edited, path), expected)) {
    throw new DeployError('CONFIG_FORMAT', `${path}: adding ${importPath} to imports would change more than imports: refusing to edit it`);
  }
  return edited;
}

/**
 * `text` without `importPath` in `imports`, for a config that changed after install (else
 * cleanup restores the original bytes). Tries the insertions addImport makes, each proven by parsing.
 */
export function removeImport(text: string, importPath: string, path: string): string {
  const before = parseConfig(text, path);
  const imports = (before.imports as string[] | undefined) ?? [];
  if (!imports.includes(importPath)) return text;
  const rest = imports.filter((i) => i !== importPath);
  const withRest = { ...before, imports: rest };
  const { imports: _gone, ...withoutImports } = before;
  const q = tomlString(importPath);
  for (const cut of [`\nimports = [${q}]`, `${q}, `, `, ${q}`, q]) {
    const at = text.indexOf(cut);
    if (at < 0) continue;
    const edited = text.slice(0, at) + text.slice(at + cut.length);
    let after: unknown;
    try {
      after = parse(edited);
    } catch {
      continue;
    }
    if (sameDoc(after, withRest) || (rest.length === 0 && sameDoc(after, withoutImports))) return edited;
  }
  throw new DeployError('CONFIG_CHANGED', `${path} changed since install and ${importPath} cannot be removed from its imports without changing more: remove it by hand`);
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
