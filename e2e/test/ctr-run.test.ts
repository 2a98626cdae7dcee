import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '@kata-ts/testing';
import { waitFor } from '../src/ctr';
import { ctrSuite } from '../src/ctr-suite';

/*
 * The whole path as a user has it: tools/install.sh into a temp prefix, Debian's containerd
 * started privately, a locally built busybox image, `ctr run --runtime io.containerd.kata.v2`.
 * Every container runs in its own QEMU VM (TCG here) with the guest kernel from build/guest.
 */

const GUEST_KERNEL = /^6\.1\.\d+-\d+-amd64$/;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const suite = ctrSuite('kata-e2e');
const { ctr, kataRun, writeConfig, status: taskStatus } = suite;

/** ctr on a 100x30 pseudo-terminal (for -t), through util-linux script(1); returns its exit code. */
function ctrWithTty(args: string[]) {
  const cmd = ['ctr', '--address', suite.containerd.address, '-n', suite.containerd.namespace, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return runCommand('script', ['-qec', `stty cols 100 rows 30; exec ${cmd}`, '/dev/null'], { env: suite.containerd.env, timeoutMs: 120_000 });
}

/** `ctr events` running in the background: the topics containerd received, per container. */
function watchEvents(): { topics(id: string): string[]; stop(): void } {
  const child: ChildProcess = spawn('ctr', ['--address', suite.containerd.address, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  return {
    topics: (id) =>
      out
        .split('\n')
        .filter((l) => l.includes(`"container_id":"${id}"`))
        .map((l) => l.split(' ').find((w) => w.startsWith('/tasks/')) ?? ''),
    stop: () => child.kill('SIGKILL'),
  };
}

describe('ctr run --runtime io.containerd.kata.v2 (real containerd, QEMU, agent)', () => {
  suite.expectNoLeaksAfterEach();

  it('runs in the guest kernel, passes the exit code through, publishes create → start → exit → delete', async () => {
    const events = watchEvents();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await ctr([...kataRun(), '--rm', suite.image, 'c1', 'sh', '-c', 'uname -r; echo to-stderr >&2; exit 3']);
      expect(r.stderr).toBe('to-stderr\n');
      expect(r.code).toBe(3);
      expect(r.stdout.trim()).toMatch(GUEST_KERNEL);
      expect(r.stdout.trim()).not.toBe(release());
      await waitFor('the delete event', () => events.topics('c1').includes('/tasks/delete'), 10_000);
      expect(events.topics('c1')).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
    } finally {
      events.stop();
    }
  }, 180_000);

  it('delivers stdin byte for byte, to its last byte, on run and on exec (CloseIO after the FIFO closed)', async () => {
    // Not a multiple of any buffer size: a lost tail shows as a short count and another sum.
    const input = Buffer.from(Array.from({ length: (3 << 20) + 1234 }, (_, i) => (i * 7919) % 251));
    const run = await ctr([...kataRun(), '--rm', suite.image, 'stdin-run', 'sh', '-c', 'cat | tee /tmp/in | wc -c; sha256sum < /tmp/in'], { input, timeoutMs: 180_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.split(/\s+/).slice(0, 2)).toEqual([String(input.length), sha256(input)]);

    expect((await ctr([...kataRun(), '-d', suite.image, 'stdin-exec', 'sleep', '600'])).code).toBe(0);
    const tail = input.subarray(0, (1 << 20) + 7);
    const exec = await ctr(['task', 'exec', '--exec-id', 'in', 'stdin-exec', 'sh', '-c', 'cat | sha256sum'], { input: tail });
    expect([exec.code, exec.stdout.split(' ')[0]]).toEqual([0, sha256(tail)]);
    await suite.containerd.removeContainers(['stdin-exec']); // afterEach checks that nothing is left
  }, 300_000);

  it("keeps a sandbox's host files (9p share with the rootfs, sockets, state) from other host users", async () => {
    expect((await ctr([...kataRun(), '-d', suite.image, 'private', 'sleep', '600'])).code).toBe(0);
    // Open the way down to the sandbox's own directory, so only its mode stands in the way.
    for (const d of [suite.dir, suite.runDir, join(suite.runDir, 'sandboxes')]) chmodSync(d, 0o755);
    const sandboxDir = join(suite.runDir, 'sandboxes', 'private');
    expect(statSync(sandboxDir).mode & 0o777).toBe(0o700);
    for (const target of ['shared', 'shared/private/rootfs/bin', 'state.json', 'proxy.sock']) {
      const r = await runCommand('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'ls', join(sandboxDir, target)]);
      expect(r.code, target).not.toBe(0);
      expect(r.stderr, target).toMatch(/Permission denied/);
    }
    await suite.containerd.removeContainers(['private']); // afterEach checks that nothing is left
  }, 180_000);

  it('sizes the VM from the limits (memory hot-plugged), enforces them in the guest, and reports an OOM kill', async () => {
    const events = watchEvents();
    try {
      await new Promise((r) => setTimeout(r, 300));
      const limit = 64 * 1024 * 1024;
      // A 512 MiB guest shows less than 512 MiB (the kernel keeps some): more is the DIMM the
      // shim hot-plugged for the limit (128 MiB, the guest's memory block) before the container.
      const config = writeConfig('small-vm', (toml) => toml.replace(/^default_memory = \d+$/m, 'default_memory = 512'));
      // tail buffers its whole input: 300 MiB against a 64 MiB limit.
      const script = "nproc; awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo; head -c 300m /dev/zero | tail > /dev/null";
      const r = await ctr([...kataRun(config), '--rm', '--memory-limit', String(limit), '--cpus', '1', suite.image, 'lim', 'sh', '-c', script]);
      const [nproc, memTotalMiB] = r.stdout.trim().split('\n').map(Number);
      expect(nproc, r.stderr).toBe(2); // default_vcpus 1 + the 1 CPU asked for
      expect(memTotalMiB).toBeGreaterThan(512);
      expect(memTotalMiB).toBeLessThanOrEqual(512 + 128);
      expect(r.code).toBe(137);
      await waitFor('the OOM event', () => events.topics('lim').includes('/tasks/oom'), 10_000);
    } finally {
      events.stop();
    }
  }, 180_000);

  it('runs -t with a terminal and its size', async () => {
    // ctr sends the terminal's size with ResizePty once the task runs: give it a moment to land.
    const r = await ctrWithTty([...kataRun(), '-t', '--rm', suite.image, 'ct', 'sh', '-c', 'tty; uname -r; sleep 1; stty size; exit 4']);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toMatch(/30 100\r?$/m);
    expect(r.stdout).toMatch(/6\.1\.\d+-\d+-amd64/);
    expect(r.code).toBe(4);
  }, 180_000);

  it('run -d, exec (tty and not), ps, pause/resume, metrics, kill, delete, container rm', async () => {
    expect((await ctr([...kataRun(), '-d', suite.image, 'c2', 'sleep', '600'])).code).toBe(0);
    expect(await taskStatus('c2')).toBe('RUNNING');

    const exec = await ctr(['task', 'exec', '--exec-id', 'e1', 'c2', 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    expect([exec.code, exec.stdout, exec.stderr]).toEqual([5, 'out\n', 'err\n']);
    const piped = await ctr(['task', 'exec', '--exec-id', 'e2', 'c2', 'sh', '-c', 'cat; echo done'], { input: 'piped input\n' });
    expect([piped.code, piped.stdout]).toEqual([0, 'piped input\ndone\n']);
    // The sleep lets ctr's ResizePty land while the exec runs: the agent (apps/agent) crashes on a
    // resize of a pty whose process already exited (reported; not the shim's to work around).
    const tty = await ctrWithTty(['task', 'exec', '-t', '--exec-id', 'e3', 'c2', 'sh', '-c', 'tty; sleep 1; stty size; exit 6']);
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(tty.stdout).toMatch(/30 100\r?$/m); // a control character script(1) typed may be echoed first
    expect(tty.code).toBe(6);

    const ps = await ctr(['task', 'ps', 'c2']);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(/PID/);
    expect((await ctr(['task', 'pause', 'c2'])).code).toBe(0);
    expect(await taskStatus('c2')).toBe('PAUSED');
    expect((await ctr(['task', 'resume', 'c2'])).code).toBe(0);
    expect(await taskStatus('c2')).toBe('RUNNING');
    const metrics = await ctr(['task', 'metrics', 'c2']);
    expect(metrics.stderr).toBe('');
    expect(metrics.stdout).toMatch(/pids\.current|memory/);

    expect((await ctr(['task', 'kill', '-s', 'KILL', 'c2'])).code).toBe(0);
    await waitFor('c2 to stop', async () => (await taskStatus('c2')) === 'STOPPED');
    const del = await ctr(['task', 'delete', 'c2']);
    expect(del.code).toBe(0);
    expect((await ctr(['container', 'rm', 'c2'])).code).toBe(0);
  }, 300_000);

  it('fails clearly, in bounded time, for a bad config, a missing kernel and an agent that never answers', async () => {
    const syntax = writeConfig('syntax', (t) => `${t}\n[hypervisor.qemu\n`);
    const bad = await ctr([...kataRun(syntax), '--rm', suite.image, 'bad1', 'true'], { timeoutMs: 60_000 });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`${syntax}: TOML syntax error`);

    const noKernel = writeConfig('nokernel', (t) => t.replace(/^kernel = .*$/m, 'kernel = "/nonexistent/vmlinuz"'));
    const missing = await ctr([...kataRun(noKernel), '--rm', suite.image, 'bad2', 'true'], { timeoutMs: 60_000 });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('hypervisor.qemu.kernel: /nonexistent/vmlinuz does not exist');

    const hurried = writeConfig('hurried', (t) => t.replace(/^dial_timeout = .*$/m, 'dial_timeout = 1').replace(/^accelerator = .*$/m, 'accelerator = "tcg"'));
    const silent = await ctr([...kataRun(hurried), '--rm', suite.image, 'bad3', 'true'], { timeoutMs: 90_000 });
    expect(silent.code).not.toBe(0);
    expect(silent.stderr).toMatch(/agent did not answer|not ready after|DeadlineExceeded|deadline/i);
    for (const id of ['bad1', 'bad2', 'bad3']) await ctr(['container', 'rm', id]);
  }, 240_000);

  it('with [factory] enable_template, VMs resume from the template kata-runtime factory made, with the clock set', async () => {
    const templatePath = join(suite.dir, 'templates');
    const config = writeConfig('template', (t) =>
      t.replace(/^enable_template = .*$/m, 'enable_template = true').replace(/^template_path = .*$/m, `template_path = "${templatePath}"`),
    );
    const factory = (configPath: string, action: string) =>
      runCommand(join(suite.kata.binDir, 'kata-runtime'), ['--config', configPath, 'factory', action, '--run-dir', suite.runDir], { timeoutMs: 180_000 });
    const off = await factory(suite.kata.configPath, 'init');
    expect(off.code).toBe(1);
    expect(off.stderr).toContain('vm factory is not enabled: set [factory] enable_template = true');

    const init = await factory(config, 'init');
    expect(init.code, init.stderr).toBe(0);
    const [key, ...others] = readdirSync(templatePath);
    expect(others).toEqual([]);
    expect(init.stdout).toContain(`vm factory initialized: ${join(templatePath, key!)}`);

    const bootId = 'cat /proc/sys/kernel/random/boot_id';
    const first = await ctr([...kataRun(config), '--rm', suite.image, 'tpl-1', 'sh', '-c', `uname -r; ${bootId}`]);
    expect(first.code, first.stderr).toBe(0);
    const [kernel, firstBootId] = first.stdout.trim().split('\n');
    expect(kernel).toMatch(GUEST_KERNEL);
    // The shim found the template kata-runtime made: no second one.
    expect(readdirSync(templatePath)).toEqual([key]);

    // The template sleeps meanwhile: a clone resumes at the time it was saved, unless the shim
    // sets its clock.
    await new Promise((r) => setTimeout(r, 8000));
    const before = Math.floor(Date.now() / 1000);
    const second = await ctr([...kataRun(config), '--rm', suite.image, 'tpl-2', 'sh', '-c', `date +%s; ${bootId}`]);
    const after = Math.ceil(Date.now() / 1000);
    expect(second.code, second.stderr).toBe(0);
    const [date, secondBootId] = second.stdout.trim().split('\n');
    // Clones share the template's memory, not its identity.
    expect(secondBootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(secondBootId).not.toBe(firstBootId);
    const guestNow = Number(date);
    expect(guestNow).toBeGreaterThanOrEqual(before - 1);
    expect(guestNow).toBeLessThanOrEqual(after + 1);
    // Both VMs logged the template they resumed from (a cold boot logs none).
    const started = readFileSync(suite.containerd.logPath, 'utf8').split('\n').filter((l) => l.includes('VM started'));
    expect(started.filter((l) => l.includes(join(templatePath, key!)))).toHaveLength(2);

    const status = await factory(config, 'status');
    expect(status.stdout).toMatch(new RegExp(`vm factory is on[^]*template ${key}: 1 vCPU, 2048 MiB`));
    const destroy = await factory(config, 'destroy');
    expect(destroy.code).toBe(0);
    expect(readdirSync(templatePath)).toEqual([]);
  }, 400_000);
});

/*
 * The agent's data paths as a user reaches them, in one sandbox started with
 * debug_console_enabled = true:
 *   - `ctr task exec` of a writer that floods stdout and exits at once delivers every byte
 *     (the tail used to be lost: the agent closed the FIFO when the monitor exited);
 *   - `kata-runtime exec <sandbox>` reaches a shell in the guest (agent port 1026).
 */
describe('a kata sandbox with the debug console: exec stdout and kata-runtime exec', () => {
  const id = 'console';

  beforeAll(async () => {
    const config = writeConfig('console', (t) => t.replace(/^debug_console_enabled = false$/m, 'debug_console_enabled = true'));
    const r = await ctr([...kataRun(config), '-d', suite.image, id, 'sleep', '600'], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`ctr run: ${r.stderr}\n${suite.containerd.logTail(30)}`);
  }, 300_000);

  afterAll(async () => {
    await suite.containerd.removeContainers([id]);
    await suite.expectNoLeaks();
  }, 120_000);

  it('delivers every byte of a fast exec stdout to ctr (16 MiB + a partial block, twice)', async () => {
    const size = 16 * 1024 * 1024 + 52_928;
    const made = await ctr(['task', 'exec', '--exec-id', 'mk', id, 'sh', '-c', `head -c ${size} /dev/urandom > /tmp/data && sha256sum /tmp/data`]);
    expect(made.code, made.stderr).toBe(0);
    const guestSha = made.stdout.split(' ')[0];
    for (let i = 0; i < 2; i++) {
      // ctr's stdout goes to a file: the bytes as they arrived.
      const file = join(suite.dir, `out${i}`);
      const args = ['--address', suite.containerd.address, '-n', suite.containerd.namespace, 'task', 'exec', '--exec-id', `dd${i}`, id, 'dd', 'if=/tmp/data', 'bs=65536'];
      const r = await runCommand('sh', ['-c', 'out=$1; shift; exec ctr "$@" > "$out"', 'sh', file, ...args], { env: suite.containerd.env, timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = readFileSync(file);
      expect({ run: i, length: out.length, sha: sha256(out) }).toEqual({ run: i, length: size, sha: guestSha });
    }
  }, 600_000);

  it('puts the debug console on the guest kernel command line and serves a shell for kata-runtime exec', async () => {
    const cmdline = await ctr(['task', 'exec', '--exec-id', 'cmdline', id, 'cat', '/proc/cmdline']);
    expect(cmdline.stdout).toMatch(/(^| )agent\.debug_console agent\.debug_console_vport=1026( |$)/m);
    const r = await runCommand(join(suite.kata.binDir, 'kata-runtime'), ['exec', '--run-dir', suite.runDir, id], {
      input: 'echo guest=$(uname -r); exit\n',
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    // The console's pty echoes the input line too: the answer is the line that starts with it.
    expect(/^guest=(\S+?)\r?$/m.exec(r.stdout)?.[1]).toMatch(GUEST_KERNEL);
  }, 180_000);
});
