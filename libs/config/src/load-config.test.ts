import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import { findConfig, prefixDefaultConfig } from './find-config';
import { loadConfig, loadConfigFile } from './load-config';
import { renderConfigTemplate } from './render-config-template';

let dir: string;

/** A fake install prefix with the files the template names. */
function makePrefix(): string {
  const prefix = join(dir, 'prefix');
  mkdirSync(join(prefix, 'share/kata-containers'), { recursive: true });
  mkdirSync(join(prefix, 'share/defaults/kata-containers'), { recursive: true });
  mkdirSync(join(prefix, 'libexec/kata-ts'), { recursive: true });
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  writeFileSync(join(prefix, 'share/kata-containers/vmlinux.container'), 'k');
  for (const f of ['kata-containers-image-initrd.img', 'kata-containers.img']) writeFileSync(join(prefix, 'share/kata-containers', f), 'i');
  writeFileSync(join(prefix, 'libexec/kata-ts/kata-proxy'), '#!/bin/sh\n');
  chmodSync(join(prefix, 'libexec/kata-ts/kata-proxy'), 0o755);
  writeFileSync(join(prefix, 'share/defaults/kata-containers/configuration.toml'), renderConfigTemplate({ prefix }));
  return prefix;
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kata-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('loads the shipped template with absolute paths and Kata defaults', () => {
    const prefix = makePrefix();
    const config = loadConfig({ binaryPath: join(prefix, 'bin/containerd-shim-kata-v2'), env: {} });
    // /etc or /usr/share defaults would win if this host had them; it has not.
    expect(config.source.reason).toBe('defaults of the install prefix');
    expect(config.hypervisor).toMatchObject({
      path: '/usr/bin/qemu-system-x86_64',
      kernel: join(prefix, 'share/kata-containers/vmlinux.container'),
      sharedFs: 'virtio-9p',
      accelerator: 'auto',
      defaultVcpus: 1,
      defaultMemory: 2048,
      machineType: 'pc',
      tcgTbSize: 128,
      reclaimGuestFreedMemory: true,
    });
    // No kata-proxy: the shim holds the serial channel itself.
    expect(config.proxy.path).toBe('');
    expect(config.agent.dialTimeout).toBe(45);
    expect(config.factory).toEqual({ enableTemplate: false, templatePath: '/run/vc/vm/template' });
  });

  it('reads [factory] and refuses what VM templating cannot do, naming the key', () => {
    const prefix = makePrefix();
    const configFile = prefixDefaultConfig(join(prefix, 'bin/x'));
    const dropIn = 'prefix/share/defaults/kata-containers/config.d/factory.toml';
    write(dropIn, '[factory]\nenable_template = true\ntemplate_path = "/run/kata-test/template"\n');
    expect(loadConfigFile(configFile).factory).toEqual({ enableTemplate: true, templatePath: '/run/kata-test/template' });
    for (const [toml, key, message] of [
      ['[factory]\nenable_template = true\n[hypervisor.qemu]\nshared_fs = "virtio-fs"\n', 'factory.enable_template', /does not work with shared_fs/],
      ['[factory]\nvm_cache_number = 2\n', 'factory.vm_cache_number', /VMCache is not supported/],
      ['[factory]\ntemplate_path = "run/t"\n', 'factory.template_path', /must be an absolute path/],
      ['[factory]\nenable_template = "yes"\n', 'factory.enable_template', /must be true or false/],
    ] as const) {
      write(dropIn, toml);
      const err = catchError(() => loadConfigFile(configFile, 'test', false));
      expect(err.key).toBe(key);
      expect(err.message).toMatch(message);
    }
  });

  it('prefers ConfigPath over KATA_CONF_FILE and records why', () => {
    const prefix = makePrefix();
    const main = prefixDefaultConfig(join(prefix, 'bin/x'));
    const other = write('other.toml', '');
    expect(findConfig({ configPath: main, env: { KATA_CONF_FILE: other } })).toEqual({
      path: main,
      reason: 'runtime option ConfigPath',
    });
    expect(findConfig({ env: { KATA_CONF_FILE: other } }).reason).toBe('environment variable KATA_CONF_FILE');
  });

  it('refuses a named file that does not exist instead of falling back', () => {
    const err = catchError(() => findConfig({ configPath: join(dir, 'nope.toml'), env: {} }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('nope.toml');
    expect(err.message).toContain('ConfigPath');
  });

  it('merges config.d drop-ins in name order', () => {
    const prefix = makePrefix();
    const main = prefixDefaultConfig(join(prefix, 'bin/x'));
    write('prefix/share/defaults/kata-containers/config.d/10-cpu.toml', '[hypervisor.qemu]\ndefault_vcpus = 2\n');
    write('prefix/share/defaults/kata-containers/config.d/20-cpu.toml', '[hypervisor.qemu]\ndefault_vcpus = 3\n');
    const config = loadConfigFile(main);
    expect(config.hypervisor.defaultVcpus).toBe(3);
    expect(config.hypervisor.defaultMemory).toBe(2048);
    expect(config.source.dropIns).toHaveLength(2);
    // Kata's default when the key is absent: no balloon.
    expect(loadConfigFile(write('bare.toml', '[hypervisor.qemu]\nkernel="/k"\ninitrd="/i"\n'), 'test', false).hypervisor.reclaimGuestFreedMemory).toBe(false);
    write('prefix/share/defaults/kata-containers/config.d/30-reclaim.toml', '[hypervisor.qemu]\nreclaim_guest_freed_memory = false\n');
    expect(loadConfigFile(main).hypervisor.reclaimGuestFreedMemory).toBe(false);
  });

  it('names the file, key and problem for a bad value', () => {
    const path = write('bad.toml', '[hypervisor.qemu]\nkernel="/k"\ninitrd="/i"\ndefault_vcpus = "two"\n');
    const err = catchError(() => loadConfigFile(path, 'test', false));
    expect(err.code).toBe('INVALID');
    expect(err.file).toBe(path);
    expect(err.key).toBe('hypervisor.qemu.default_vcpus');
    expect(err.message).toMatch(/bad\.toml: hypervisor\.qemu\.default_vcpus: must be an integer/);
  });

  it.each([
    ['[hypervisor.qemu]\ninitrd="/i"\n', 'hypervisor.qemu.kernel', /required/],
    ['[hypervisor.qemu]\nkernel="/k"\n', 'hypervisor.qemu.initrd', /is required \(path to the guest initrd\)/],
    ['[hypervisor.qemu]\nkernel="/k"\nimage="/m"\n', 'hypervisor.qemu.initrd', /is required with image/],
    ['[hypervisor.qemu]\nkernel="/k"\ninitrd="/i"\naccelerator="hvf"\n', 'hypervisor.qemu.accelerator', /one of/],
    ['[hypervisor.clh]\npath="/x"\n', 'hypervisor', /missing \[hypervisor.qemu\]/],
    ['[hypervisor.qemu]\nkernel="/k"\ninitrd="/i"\n[agent.kata]\ndial_timeout=0\n', 'agent.kata.dial_timeout', /at least 1/],
  ])('rejects %j', (text, key, problem) => {
    const err = catchError(() => loadConfigFile(write('c.toml', text), 'test', false));
    expect(err.key).toBe(key);
    expect(err.message).toMatch(problem);
  });

  it('reports TOML syntax errors with the file and the line', () => {
    const path = write('syntax.toml', '# a comment\n[hypervisor.qemu\n');
    const err = catchError(() => loadConfigFile(path));
    expect(err.code).toBe('SYNTAX');
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/TOML syntax error at line 2, column \d+/);
  });

  it('refuses default_memory below the 128 MiB QEMU needs, naming the file and key (issue 14, item 8)', () => {
    const prefix = makePrefix();
    const configFile = prefixDefaultConfig(join(prefix, 'bin/x'));
    write('prefix/share/defaults/kata-containers/config.d/memory.toml', '[hypervisor.qemu]\ndefault_memory = 100\n');
    const err = catchError(() => loadConfigFile(configFile, 'test', false));
    expect(err.key).toBe('hypervisor.qemu.default_memory');
    expect(err.message).toMatch(/128/);
  });

  it('names a missing kernel', () => {
    const prefix = makePrefix();
    rmSync(join(prefix, 'share/kata-containers/vmlinux.container'));
    const err = catchError(() => loadConfigFile(prefixDefaultConfig(join(prefix, 'bin/x'))));
    expect(err.key).toBe('hypervisor.qemu.kernel');
    expect(err.message).toMatch(/vmlinux.container does not exist/);
  });

  it('explains that virtio-fs needs virtiofsd', () => {
    const prefix = makePrefix();
    write('prefix/share/defaults/kata-containers/config.d/fs.toml', '[hypervisor.qemu]\nshared_fs="virtio-fs"\nvirtio_fs_daemon="/nonexistent/virtiofsd"\n');
    const err = catchError(() => loadConfigFile(prefixDefaultConfig(join(prefix, 'bin/x'))));
    expect(err.key).toBe('hypervisor.qemu.shared_fs');
    expect(err.message).toMatch(/virtiofsd/);
  });
});

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
