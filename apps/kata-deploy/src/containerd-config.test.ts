import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { addImport, containerdFlavour, findConfig, removeImport } from './containerd-config';
import { DeployError } from './deploy-error';

const DROP_IN = '/opt/kata/containerd/config.d/kata-deploy.toml';
const PATH = '/etc/containerd/config.toml';

/** A config as `containerd config default` (1.6) lays it out, shortened, with a comment. */
const DEFAULT_LIKE = `disabled_plugins = []
# kept by hand
oom_score = 0
root = "/var/lib/containerd"
state = "/run/containerd"
version = 2

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`;

const refusal = (fn: () => unknown): DeployError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DeployError);
    return err as DeployError;
  }
  throw new Error('no refusal');
};

describe('addImport / removeImport', () => {
  it.each([
    ['no imports yet', DEFAULT_LIKE, []],
    ['imports on one line', DEFAULT_LIKE.replace('version = 2', 'version = 2\nimports = ["/etc/containerd/a.toml"]'), ['/etc/containerd/a.toml']],
    ['imports over lines with a comment', `imports = [ # mine\n  "/a.toml",\n  "/b.toml",\n]\n${DEFAULT_LIKE}`, ['/a.toml', '/b.toml']],
    ['an empty imports', `imports = []\n${DEFAULT_LIKE}`, []],
  ])('%s: adds the drop-in first, keeps every other byte, and removing it gives the original back', (_name, text, imports) => {
    const edited = addImport(text, DROP_IN, PATH);
    const doc = parse(edited);
    expect(doc.imports).toEqual([DROP_IN, ...imports]);
    const { imports: _a, ...rest } = doc;
    const { imports: _b, ...restBefore } = parse(text);
    expect(rest).toEqual(restBefore);
    expect(edited).toContain('# kept by hand');
    expect(addImport(edited, DROP_IN, PATH)).toBe(edited); // idempotent
    expect(removeImport(edited, DROP_IN, PATH)).toBe(text); // byte for byte
  });

  it('creates a version 2 config when there is none or it holds only comments', () => {
    expect(parse(addImport(null, DROP_IN, PATH))).toEqual({ version: 2, imports: [DROP_IN] });
    const commented = '# nothing here yet\n';
    const edited = addImport(commented, DROP_IN, PATH);
    expect(parse(edited)).toEqual({ version: 2, imports: [DROP_IN] });
    expect(edited.endsWith(commented)).toBe(true);
  });

  it('removes only its own import from a config changed since install', () => {
    const edited = addImport(DEFAULT_LIKE, DROP_IN, PATH).replace('oom_score = 0', 'oom_score = -500');
    const back = removeImport(edited, DROP_IN, PATH);
    expect(back).toBe(DEFAULT_LIKE.replace('oom_score = 0', 'oom_score = -500'));
  });

  it('refuses a change it cannot prove (an import that is a nested array edit)', () => {
    // imports written as a literal-string array: the text cut (basic strings) does not match it.
    const literal = `version = 2\nimports = ['${DROP_IN}', '/x.toml']\n`;
    expect(refusal(() => removeImport(literal, DROP_IN, PATH)).code).toBe('CONFIG_CHANGED');
  });
});

describe('formats it refuses, naming the file and what is wrong', () => {
  it.each([
    ['a TOML error', 'version = 2\n[grpc\naddress = 1\n', /is not valid TOML \(line 2/],
    ['version 1 (no version key)', '[grpc]\n  address = "/run/containerd/containerd.sock"\n', /version 1 containerd config/],
    ['version 3 (containerd 2.x)', 'version = 3\n', /version 3 containerd config \(containerd 2\.x\)/],
    ['an unknown version', 'version = "two"\n', /version "two", which kata-deploy does not know/],
    ['imports that are not strings', 'version = 2\nimports = [1]\n', /imports is not an array of strings/],
  ])('%s', (_name, text, message) => {
    const root = mkdtempSync(join(tmpdir(), 'kata-deploy-cfg-'));
    try {
      mkdirSync(join(root, 'etc/containerd'), { recursive: true });
      writeFileSync(join(root, PATH), text);
      const err = refusal(() => findConfig({ hostRoot: root }));
      expect(err.code).toBe('CONFIG_FORMAT');
      expect(err.message).toContain(PATH);
      expect(err.message).toMatch(message);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});

describe('where the config is (#3894)', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('plain containerd: /etc/containerd/config.toml, absent is fine', () => {
    root = mkdtempSync(join(tmpdir(), 'kata-deploy-cfg-'));
    expect(containerdFlavour({ hostRoot: root })).toMatchObject({ name: 'containerd', config: PATH, units: ['containerd'] });
    expect(findConfig({ hostRoot: root })).toMatchObject({ original: null, start: null, version: 'none' });
  });

  it('k3s: edits config.toml.tmpl, made from the config.toml k3s generated', () => {
    root = mkdtempSync(join(tmpdir(), 'kata-deploy-cfg-'));
    const dir = join(root, 'var/lib/rancher/k3s/agent/etc/containerd');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.toml'), DEFAULT_LIKE);
    const found = findConfig({ hostRoot: root });
    expect(found.flavour).toMatchObject({ name: 'k3s', config: '/var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl', units: ['k3s', 'k3s-agent'] });
    expect(found).toMatchObject({ original: null, start: DEFAULT_LIKE, version: 2 });
  });

  it('rke2, and a config named on the command line', () => {
    root = mkdtempSync(join(tmpdir(), 'kata-deploy-cfg-'));
    mkdirSync(join(root, 'var/lib/rancher/rke2/agent/etc/containerd'), { recursive: true });
    writeFileSync(join(root, 'var/lib/rancher/rke2/agent/etc/containerd/config.toml'), DEFAULT_LIKE);
    expect(containerdFlavour({ hostRoot: root }).name).toBe('rke2');
    expect(containerdFlavour({ hostRoot: root, containerdConfig: '/srv/containerd.toml' })).toMatchObject({ name: 'given', config: '/srv/containerd.toml' });
  });
});
