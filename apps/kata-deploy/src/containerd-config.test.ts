import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';
import { addRuntime, containerdFlavour, findConfig, removeRuntime } from './containerd-config';
import { DeployError } from './deploy-error';

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

const PREFIX = '/opt/kata';
const KATA = { runtime_type: 'io.containerd.kata.v2', runtime_path: '/opt/kata/bin/containerd-shim-kata-v2', privileged_without_host_devices: true, pod_annotations: ['io.katacontainers.*'], options: { ConfigPath: '/opt/kata/share/defaults/kata-containers/configuration-qemu.toml' } };
const runtimes = (text: string) => ((parse(text).plugins as any)['io.containerd.grpc.v1.cri'].containerd.runtimes); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('addRuntime / removeRuntime', () => {
  it('appends the kata runtime, keeps every byte before it, and removing it gives the original back', () => {
    const edited = addRuntime(DEFAULT_LIKE, PREFIX, PATH);
    expect(edited.startsWith(DEFAULT_LIKE)).toBe(true);
    expect(runtimes(edited)).toEqual({ runc: { runtime_type: 'io.containerd.runc.v2' }, kata: KATA });
    expect(addRuntime(edited, PREFIX, PATH)).toBe(edited); // idempotent
    expect(removeRuntime(edited, PREFIX, PATH)).toBe(DEFAULT_LIKE); // byte for byte
  });

  it('a config naming no runtime gets runc too (naming one replaces the CRI default map, and runc is the default handler)', () => {
    const plain = 'version = 2\nroot = "/var/lib/containerd"';
    const edited = addRuntime(plain, PREFIX, PATH);
    expect(edited.startsWith(`${plain}\n`)).toBe(true);
    expect(runtimes(edited)).toEqual({ runc: { runtime_type: 'io.containerd.runc.v2' }, kata: KATA });
    expect(removeRuntime(edited, PREFIX, PATH)).toBe(`${plain}\n`);
  });

  it('creates a version 2 config when there is none or it holds only comments', () => {
    expect(parse(addRuntime(null, PREFIX, PATH)).version).toBe(2);
    const commented = '# nothing here yet\n';
    const edited = addRuntime(commented, PREFIX, PATH);
    expect(edited.startsWith(`version = 2\n${commented}`)).toBe(true);
    expect(runtimes(edited).kata).toEqual(KATA);
  });

  it('removes only its own tables from a config changed since install', () => {
    const edited = addRuntime(DEFAULT_LIKE, PREFIX, PATH).replace('oom_score = 0', 'oom_score = -500');
    expect(removeRuntime(edited, PREFIX, PATH)).toBe(DEFAULT_LIKE.replace('oom_score = 0', 'oom_score = -500'));
  });

  it('refuses a kata runtime someone else configured, and a kata runtime changed by hand since install', () => {
    const theirs = `${DEFAULT_LIKE}  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n    runtime_type = "io.containerd.kata.v2"\n`;
    expect(refusal(() => addRuntime(theirs, PREFIX, PATH)).message).toMatch(/already configures a runtime "kata" that kata-deploy did not write/);
    const handEdited = addRuntime(DEFAULT_LIKE, PREFIX, PATH).replace('privileged_without_host_devices = true', 'privileged_without_host_devices = false');
    expect(refusal(() => removeRuntime(handEdited, PREFIX, PATH)).code).toBe('CONFIG_CHANGED');
  });

  it('refuses an edit it cannot prove: the CRI containerd table written inline cannot take more tables', () => {
    const inline = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  containerd = { snapshotter = "overlayfs" }\n';
    expect(refusal(() => addRuntime(inline, PREFIX, PATH)).message).toMatch(/cannot be added as tables of its own/);
  });
});

describe('formats it refuses, naming the file and what is wrong', () => {
  it.each([
    ['a TOML error', 'version = 2\n[grpc\naddress = 1\n', /is not valid TOML \(line 2/],
    ['version 1 (no version key)', '[grpc]\n  address = "/run/containerd/containerd.sock"\n', /version 1 containerd config/],
    ['version 3 (containerd 2.x)', 'version = 3\n', /version 3 containerd config \(containerd 2\.x\)/],
    ['an unknown version', 'version = "two"\n', /version "two", which kata-deploy does not know/],
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
