import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from '@kata-ts/agent-client';
import { QemuHypervisor, selectAccelerator, type VmConfig } from '@kata-ts/hypervisor';
import { createLogger } from '@kata-ts/logging';
import { FactoryError, reapTemplateMaking, templateInputs, templateKey, VmFactory, type TemplateMaking } from '../src';

const log = createLogger({ name: 'factory-test', level: 'warn' });
/** The guest image tools/test builds before the tests run (tools/build-guest-image). */
const GUEST = fileURLToPath(new URL('../../../build/guest/', import.meta.url));
const built = { vmlinux: join(GUEST, 'vmlinux.container'), initrd: join(GUEST, 'kata-containers-initrd.img') };

/**
 * Kata's VM templating through the real path: the guest image booted by QEMU (TCG here), saved
 * once its agent answers, and clones that resume from it and answer Health over the channel.
 */
describe('VmFactory with the real guest image', () => {
  let accelerator: 'kvm' | 'tcg';
  let root: string;
  let image: { vmlinux: string; initrd: string };
  const clones: QemuHypervisor[] = [];

  beforeAll(async () => {
    for (const file of Object.values(built)) if (!existsSync(file)) throw new Error(`${file} is missing: build the guest image first (tools/build-guest-image)`);
    root = mkdtempSync(join(tmpdir(), 'factory-test-'));
    // Our own links: a rebuild of build/guest meanwhile (another suite) would be a new template key.
    image = { vmlinux: join(root, 'vmlinux'), initrd: join(root, 'initrd') };
    for (const name of ['vmlinux', 'initrd'] as const) {
      try {
        linkSync(built[name], image[name]);
      } catch {
        copyFileSync(built[name], image[name]);
      }
    }
    accelerator = (await selectAccelerator('auto', { kernel: image.vmlinux, cacheDir: root })).accelerator;
  }, 600_000);

  afterEach(async () => {
    await Promise.all(clones.splice(0).map((vm) => vm.stop({ timeoutMs: 3000 }).catch(() => undefined)));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function vmConfig(name: string, overrides: Partial<VmConfig> = {}): VmConfig {
    const dir = join(root, name);
    return {
      id: name,
      kernel: image.vmlinux,
      initrd: image.initrd,
      accelerator,
      vcpus: 1,
      memoryMiB: 512,
      agentSocket: join(dir, 'agent.sock'),
      qmpSocket: join(dir, 'qmp.sock'),
      consoleLog: join(dir, 'console.log'),
      shares: [{ id: 'kata-shared', hostPath: join(dir, 'shared'), mountTag: 'kataShared' }],
      ...overrides,
    };
  }

  async function clone(name: string, templateDir: string): Promise<number> {
    const config = vmConfig(name, { template: { dir: templateDir, role: 'restore' } });
    mkdirSync(join(root, name, 'shared'), { recursive: true });
    const vm = new QemuHypervisor({ logger: log });
    clones.push(vm);
    const started = performance.now();
    await vm.start(config);
    await (await connectAgent(vm.agentChannel(), { timeoutMs: 60_000, log })).close();
    return performance.now() - started;
  }

  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('makes a template once per configuration; clones resume from it and their agents answer', async () => {
    const factory = new VmFactory({ templatePath: join(root, 'templates'), logger: log });
    // Two shims asking at once: one boot, one template.
    const [a, b] = await Promise.all([factory.template(vmConfig('first')), factory.template(vmConfig('second'))]);
    expect(a).toBe(b);
    const [info] = factory.list();
    expect(factory.list()).toHaveLength(1);
    expect(info!.dir).toBe(a);
    expect(info!.inputs.memoryMiB).toBe(512);
    expect(info!.memoryBytes).toBeGreaterThan(0);
    expect(readdirSync(a).sort()).toEqual(['config.json', 'memory', 'state']);
    // No build leftovers: lock and work directory are gone.
    expect(readdirSync(join(root, 'templates'))).toEqual([info!.key]);
    const memoryBefore = sha256(join(a, 'memory'));

    // Asked again: the same template, not remade.
    expect(await factory.template(vmConfig('third'))).toBe(a);
    expect(factory.list()[0]!.createdAt).toBe(info!.createdAt);

    const times = await Promise.all([clone('clone-1', a), clone('clone-2', a)]);
    console.log(`template → agent ready (${accelerator}): ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')}`);
    // Clones write their own copies of the pages: the template stays as it was saved.
    await Promise.all(clones.splice(0).map((vm) => vm.stop({ timeoutMs: 3000 })));
    expect(sha256(join(a, 'memory'))).toBe(memoryBefore);
  }, 300_000);

  it('keys templates by what must match: sizes, kernel parameters and the image files', () => {
    const base = templateKey(templateInputs(vmConfig('k')));
    expect(templateKey(templateInputs(vmConfig('other-paths')))).toBe(base);
    expect(templateKey(templateInputs(vmConfig('k', { memoryMiB: 1024 })))).not.toBe(base);
    expect(templateKey(templateInputs(vmConfig('k', { vcpus: 2 })))).not.toBe(base);
    expect(templateKey(templateInputs(vmConfig('k', { memoryHotplug: { slots: 10, maxMiB: 4096 } })))).not.toBe(base);
    expect(templateKey(templateInputs(vmConfig('k', { kernelParams: ['agent.log=debug'] })))).not.toBe(base);
    const kernel = join(root, 'kernel-copy');
    writeFileSync(kernel, 'x');
    const before = templateKey(templateInputs(vmConfig('k', { kernel })));
    utimesSync(kernel, new Date(), new Date(Date.now() + 5000));
    expect(templateKey(templateInputs(vmConfig('k', { kernel })))).not.toBe(before);
  });

  it('a running clone survives `destroy`; the next VM gets a fresh template', async () => {
    const templatePath = join(root, 'destroy');
    const factory = new VmFactory({ templatePath, logger: log });
    const first = await factory.template(vmConfig('d1'));
    await clone('d-clone', first);
    expect(factory.destroy()).toEqual([first]);
    expect(existsSync(templatePath) ? readdirSync(templatePath) : []).toEqual([]);
    // The clone maps the unlinked memory privately: its agent still answers.
    await (await connectAgent(clones.at(-1)!.agentChannel(), { timeoutMs: 30_000, log })).close();
    const second = await factory.template(vmConfig('d2'));
    expect(second).toBe(first);
    expect(factory.list()).toHaveLength(1);
  }, 300_000);

  it('a new template for a replaced initrd (an upgrade) removes the stale one, not other valid ones', async () => {
    const templatePath = join(root, 'upgrade');
    const factory = new VmFactory({ templatePath, logger: log });
    const initrd = join(root, 'upgrade-initrd');
    copyFileSync(image.initrd, initrd);
    const old = await factory.template(vmConfig('u1', { initrd }));
    const other = await factory.template(vmConfig('u2', { memoryMiB: 384 }));
    // Installed anew: a new file at the same path.
    copyFileSync(image.initrd, `${initrd}.new`);
    renameSync(`${initrd}.new`, initrd);
    const fresh = await factory.template(vmConfig('u3', { initrd }));
    expect(fresh).not.toBe(old);
    expect(factory.list().map((t) => t.dir).sort()).toEqual([fresh, other].sort());
  }, 300_000);

  it('fails clearly and leaves nothing behind when the template VM cannot boot, after reaping a dead maker', async () => {
    const templatePath = join(root, 'broken');
    const kernel = join(root, 'not-a-kernel');
    writeFileSync(kernel, 'not a kernel');
    const config = vmConfig('broken', { kernel });
    // A maker that died mid-way: its lock, its work dir and the "QEMU" it started.
    const key = templateKey(templateInputs(config));
    const deadPid = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString());
    const work = join(templatePath, `.${key}.${deadPid}`);
    mkdirSync(work, { recursive: true });
    const orphan = spawn('sh', ['-c', 'sleep 60', 'sh', work], { stdio: 'ignore' });
    const orphanExit = new Promise((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
    writeFileSync(join(work, 'qemu.pid'), String(orphan.pid));
    writeFileSync(join(templatePath, `.${key}.lock`), String(deadPid));

    try {
      const factory = new VmFactory({ templatePath, logger: log, timeoutMs: 30_000 });
      const err = await factory.template(config).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FactoryError);
      expect(err).toMatchObject({ code: 'TEMPLATE_FAILED', message: expect.stringMatching(/making the VM template failed: .*(kernel|PVH)/i) });
      expect(await orphanExit).toBe('SIGKILL');
      expect(readdirSync(templatePath)).toEqual([]);
    } finally {
      orphan.kill('SIGKILL'); // if the factory did not, the test must not leave it
    }
  }, 60_000);

  it('records the template QEMU before it is spawned and its pid in the tick it is: a maker killed meanwhile is reaped whole', async () => {
    const templatePath = join(root, 'reaped');
    // A QEMU that never comes up (no QMP socket): the maker waits for it, as it waits for a real one booting.
    const qemuPath = join(root, 'slow-qemu');
    writeFileSync(qemuPath, '#!/bin/sh\nwhile :; do sleep 1; done\n', { mode: 0o755 });
    let making: TemplateMaking | undefined;
    let spawnedBefore: boolean | undefined;
    const factory = new VmFactory({
      templatePath,
      logger: log,
      timeoutMs: 30_000,
      onMaking: (m) => {
        making = m;
        spawnedBefore = existsSync(join(m.work, 'qemu.pid'));
      },
    });
    const made = factory.template(vmConfig('reaped', { qemuPath })).catch((e: unknown) => e);
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 20));
      pid = making && existsSync(join(making.work, 'qemu.pid')) ? Number(readFileSync(join(making.work, 'qemu.pid'), 'utf8')) : 0;
    }
    expect(spawnedBefore).toBe(false);
    expect(making).toEqual({ work: expect.stringMatching(new RegExp(`^${templatePath}/\\.[0-9a-f]+\\.${process.pid}$`)), lock: expect.stringMatching(/\.lock$/) });
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(qemuPath);
    // What `shim delete` does once the maker (the shim, here this process) is dead.
    reapTemplateMaking(making!, process.pid);
    expect(existsSync(making!.lock)).toBe(false);
    expect(await made).toMatchObject({ code: 'TEMPLATE_FAILED' });
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(`/proc/${pid}`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '').toBe('');
    expect(readdirSync(templatePath)).toEqual([]);
  }, 60_000);

  it('refuses what a template cannot be', async () => {
    expect(() => new VmFactory({ templatePath: 'relative' })).toThrow(/template_path must be an absolute path/);
    const factory = new VmFactory({ templatePath: join(root, 'refuse'), logger: log });
    await expect(factory.template(vmConfig('v', { vsock: { guestCid: 3 } }))).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('vhost-vsock') });
  });
});
