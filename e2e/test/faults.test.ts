import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { task, ttrpc } from '@kata-ts/protocols';
import { importBusyboxImage, runCommand } from '@kata-ts/testing';
import { processGone, waitFor } from '../src/ctr';
import { ctrSuite } from '../src/ctr-suite';

/*
 * Fault injection through real containerd, ctr, QEMU (TCG) and the guest agent (issue 14): each
 * process killed at boot, while running and while exiting, containerd restarted, a reader that
 * went away, a hostile ttrpc client. Kill points during boot come from
 * the sandbox's state.json (written the moment QEMU and kata-proxy are spawned), not from sleeps.
 * After each test nothing may be left: process, mount, state dir, shim socket. The shipped
 * configuration has the shim hold the agent channel; kata-proxy's faults use a configuration
 * that names it (`[proxy.kata] path`).
 */

const suite = ctrSuite('kata-faults');
const { ctr, kataRun, status, shimSocket, writeConfig } = suite;

interface SandboxState {
  vmPid: number;
  proxyPid: number;
  shimPid: number;
  templateMaking?: { work: string; lock: string };
}
const statePath = (id: string) => join(suite.runDir, 'sandboxes', id, 'state.json');
function sandboxState(id: string): SandboxState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(id), 'utf8')) as SandboxState;
  } catch {
    return undefined; // not written yet, or being rewritten
  }
}
/** The state once `key` is recorded: the moment the shim spawned that process. */
async function recorded(id: string, key: 'vmPid' | 'proxyPid'): Promise<SandboxState> {
  let state: SandboxState | undefined;
  await waitFor(`${id}'s ${key} in state.json`, () => ((state = sandboxState(id)), (state?.[key] ?? 0) > 0), 120_000);
  return state!;
}

/** kataRun's arguments, with kata-proxy holding the agent channel when `proxy` (the key killed is its pid). */
function runArgs(proxy: boolean): string[] {
  if (!proxy) return kataRun();
  return kataRun(writeConfig('proxy', (t) => t.replace(/^path = ""$/m, `path = "${join(suite.kata.prefix, 'libexec/kata-ts/kata-proxy')}"`)));
}

function rssKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

describe('faults through containerd: every kill ends in STOPPED and nothing is left', () => {
  suite.expectNoLeaksAfterEach();

  it('item 1: a task whose stdout nobody reads (ctr gone, 3 MB written) stops on SIGKILL and deletes', async () => {
    const id = 'unread';
    shimSocket(id);
    // run -d: ctr opens the FIFOs and leaves; nobody reads the 3 MB, so head blocks writing.
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sh', '-c', 'head -c 3000000 /dev/zero; exec sleep 600'])).code).toBe(0);
    // The kill point: head has written more than the FIFO, the shim's and the agent's buffers hold.
    const written = async () => {
      const r = await ctr(['task', 'exec', '--exec-id', `probe${Date.now()}`, id, 'sh', '-c', 'awk "/^wchar/{print \\$2}" /proc/$(pidof head)/io']);
      return Number(r.stdout.trim()) > 1_000_000;
    };
    await waitFor('head to have written 1 MB', written, 200_000);
    expect((await ctr(['task', 'kill', '-s', 'KILL', id])).code).toBe(0);
    await waitFor(`${id} to stop`, async () => (await status(id)) === 'STOPPED', 60_000);
    expect((await ctr(['task', 'delete', id], { timeoutMs: 60_000 })).code).toBe(0);
  }, 400_000);

  it('item 1: ctr task delete -f returns for a running task whose stdout nobody reads', async () => {
    const id = 'unread-f';
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sh', '-c', 'head -c 3000000 /dev/zero; exec sleep 600'])).code).toBe(0);
    expect((await ctr(['task', 'delete', '-f', id], { timeoutMs: 90_000 })).code).toBe(0);
    expect(await status(id)).toBeUndefined();
  }, 300_000);

  it.each([
    // containerd looks a number outside 0-2147483647 up as a name: the image's files carry it.
    ['uid', { user: '4294967295', passwd: ['4294967295:x:4294967295:0::/:/bin/sh'] }],
    ['gid', { user: '0:4294967295', group: ['4294967295:x:4294967295:'] }],
  ])('item 2: %s 4294967295 (the image config\'s User) is refused at create, as runc refuses it, and nothing is left', async (what, options) => {
    const image = await importBusyboxImage(suite.containerd, options);
    // The reference: runc on the same containerd (Debian's 1.1.5 fails setting up the user, after
    // the create began; newer runc refuses the spec with the words kata-ts uses).
    const runc = await ctr(['run', '--rm', image, `${what}-runc`, 'id']);
    expect(runc.code).not.toBe(0);
    expect(runc.stderr).toMatch(/unable to setup user|uids and gids must be in range 0-2147483647/);
    const id = `${what}-kata`;
    shimSocket(id);
    const kata = await ctr([...kataRun(), '--rm', image, id, 'id']);
    expect(kata.code).not.toBe(0);
    expect(kata.stdout).toBe('');
    expect(kata.stderr).toContain('uids and gids must be in range 0-2147483647');
    for (const c of [`${what}-runc`, id]) await ctr(['container', 'rm', c]);
  }, 300_000);

  it.each([
    ['QEMU is spawned', 'vmPid'],
    ['kata-proxy is spawned', 'proxyPid'],
  ] as const)('item 4: a shim SIGKILLed once %s (VM booting) leaves nothing: delete finds QEMU and kata-proxy', async (_when, key) => {
    const id = `boot-shim-${key}`;
    shimSocket(id);
    const run = ctr([...runArgs(key === 'proxyPid'), '-d', suite.image, id, 'sleep', '600']);
    const state = await recorded(id, key);
    process.kill(state.shimPid, 'SIGKILL');
    expect((await run).code).not.toBe(0);
    const { vmPid, proxyPid } = sandboxState(id) ?? state;
    await waitFor('QEMU and kata-proxy to be killed by shim delete', () => processGone(vmPid) && (!proxyPid || processGone(proxyPid)), 60_000);
  }, 300_000);

  it('item 4: a shim SIGKILLed while it makes the VM template (first sandbox with enable_template) leaves nothing: delete ends the template QEMU', async () => {
    const id = 'boot-template';
    shimSocket(id);
    const templatePath = join(suite.dir, 'templates');
    const config = writeConfig('template', (t) =>
      t.replace(/^enable_template = .*$/m, 'enable_template = true').replace(/^template_path = .*$/m, `template_path = "${templatePath}"`),
    );
    const run = ctr([...kataRun(config), '-d', suite.image, id, 'sleep', '600']);
    // The kill point: the template's QEMU spawned (its pid file is written in that tick).
    let making: SandboxState['templateMaking'];
    await waitFor(`${id}'s template QEMU`, () => ((making = sandboxState(id)?.templateMaking), !!making && existsSync(join(making.work, 'qemu.pid'))), 120_000);
    const templateVm = Number(readFileSync(join(making!.work, 'qemu.pid'), 'utf8'));
    expect(processGone(templateVm)).toBe(false);
    process.kill(sandboxState(id)!.shimPid, 'SIGKILL');
    expect((await run).code).not.toBe(0);
    await waitFor('the template QEMU to be killed by shim delete', () => processGone(templateVm), 60_000);
    expect([existsSync(making!.work), existsSync(making!.lock)]).toEqual([false, false]);
  }, 300_000);

  it('item 8: a kata-proxy killed during boot fails the boot at once, naming kata-proxy', async () => {
    const id = 'boot-proxy';
    shimSocket(id);
    const run = ctr([...runArgs(true), '--rm', suite.image, id, 'true']);
    const { proxyPid } = await recorded(id, 'proxyPid');
    process.kill(proxyPid, 'SIGKILL');
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/kata-proxy exited/);
    expect(r.stderr).not.toMatch(/dial_timeout|did not answer/);
  }, 300_000);

  it('holds: QEMU SIGKILLed during boot fails the run clearly', async () => {
    const id = 'boot-qemu';
    shimSocket(id);
    const run = ctr([...kataRun(), '--rm', suite.image, id, 'true']);
    const { vmPid } = await recorded(id, 'vmPid');
    process.kill(vmPid, 'SIGKILL');
    const r = await run;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/VM exited during boot|QEMU/);
  }, 300_000);

  it.each([
    ['QEMU', 'vmPid'],
    ['kata-proxy', 'proxyPid'],
  ] as const)('holds: a task exit and full cleanup when %s is SIGKILLed under a running task', async (_what, key) => {
    const id = `run-${key}`;
    shimSocket(id);
    expect((await ctr([...runArgs(key === 'proxyPid'), '-d', suite.image, id, 'sleep', '600'])).code).toBe(0);
    process.kill(sandboxState(id)![key], 'SIGKILL');
    await waitFor(`${id} to stop`, async () => (await status(id)) === 'STOPPED', 60_000);
    expect((await ctr(['task', 'delete', id])).code).toBe(0);
  }, 300_000);

  it('holds, and item 8: a running shim SIGKILLed is cleaned up by delete, its socket included', async () => {
    const id = 'run-shim';
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sleep', '600'])).code).toBe(0);
    const { vmPid, proxyPid, shimPid } = sandboxState(id)!;
    expect(existsSync(shimSocket(id))).toBe(true);
    process.kill(shimPid, 'SIGKILL');
    await waitFor('containerd to drop the task', async () => (await status(id)) === undefined, 60_000);
    expect(proxyPid).toBe(0); // the shim held the agent channel: it died with it
    await waitFor('the VM to be killed', () => processGone(vmPid), 30_000);
  }, 300_000);

  it('holds: QEMU SIGKILLed while the task exits (right after SIGTERM) still ends in STOPPED', async () => {
    const id = 'exit-qemu';
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sh', '-c', 'trap "sleep 2; exit 3" TERM; sleep 600 & wait'])).code).toBe(0);
    const { vmPid } = sandboxState(id)!;
    expect((await ctr(['task', 'kill', '-s', 'TERM', id])).code).toBe(0);
    process.kill(vmPid, 'SIGKILL');
    await waitFor(`${id} to stop`, async () => (await status(id)) === 'STOPPED', 60_000);
    expect((await ctr(['task', 'delete', id])).code).toBe(0);
  }, 300_000);

  it.each([
    ['ctr task kill -s KILL, then task delete', ['task', 'kill', '-s', 'KILL']],
    ['ctr task delete -f', ['task', 'delete', '-f']],
  ])('a hung VM (QEMU stopped, SIGSTOP): %s returns and the task ends in STOPPED, torn down after the agent\'s deadline', async (_how, command) => {
    const id = `hung-${command.length}`;
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sleep', '600'])).code).toBe(0);
    const { vmPid } = sandboxState(id)!;
    process.kill(vmPid, 'SIGSTOP');
    try {
      // The agent call's deadline (30 s), the output's drain (5 s) and QEMU's quit (5 s) come first.
      const r = await ctr([...command, id], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      if (command[1] === 'kill') {
        await waitFor(`${id} to stop`, async () => (await status(id)) === 'STOPPED', 60_000);
        expect((await ctr(['task', 'delete', id])).code).toBe(0);
      }
      expect(await status(id)).toBeUndefined();
      await waitFor('QEMU to be gone', () => processGone(vmPid), 30_000);
    } finally {
      // Should the shim not have ended it: let the cleanup reach it (a leak still shows).
      if (!processGone(vmPid)) process.kill(vmPid, 'SIGCONT');
    }
  }, 400_000);

  it('item 7: ctr task kill of a foreground `ctr run --rm` answers success when the signal is delivered', async () => {
    for (let i = 0; i < 3; i++) {
      const id = `kill-${i}`;
      shimSocket(id);
      const run = ctr([...kataRun(), '--rm', suite.image, id, 'sleep', '600']);
      await waitFor(`${id} to run`, async () => (await status(id)) === 'RUNNING', 120_000);
      const kill = await ctr(['task', 'kill', '-s', 'KILL', id]);
      expect([kill.code, kill.stderr]).toEqual([0, '']);
      expect((await run).code).toBe(137);
    }
  }, 600_000);

  it('item 6: a client pipelining requests on the shim socket without reading is cut off; the shim stays small and serves on', async () => {
    const id = 'hostile';
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sleep', '600'])).code).toBe(0);
    const { shimPid } = sandboxState(id)!;
    const before = rssKiB(shimPid);
    const body = ttrpc.Request.encode({
      service: 'containerd.task.v2.Task',
      method: 'Connect',
      payload: Buffer.from(task.ConnectRequest.encode({ id }).finish()),
      timeoutNano: 0,
      metadata: [],
    }).finish();
    const frames = Buffer.concat(
      Array.from({ length: 10_000 }, (_, i) => {
        const header = Buffer.alloc(10);
        header.writeUInt32BE(body.length, 0);
        header.writeUInt32BE(2 * i + 1, 4);
        header[8] = 1; // Request
        return Buffer.concat([header, body]);
      }),
    );
    const socket = net.connect(shimSocket(id));
    socket.on('error', () => undefined);
    socket.pause(); // never reads a reply
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await new Promise((r) => socket.once('connect', r));
    // 200k requests, as the client sent; stream ids stay increasing across batches.
    for (let batch = 0; batch < 20 && !socket.destroyed; batch++) {
      for (let i = 0; i < 10_000; i++) frames.writeUInt32BE(2 * (batch * 10_000 + i) + 1, i * (10 + body.length) + 4);
      if (!socket.write(Buffer.from(frames))) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 60_000))]);
    expect(socket.destroyed).toBe(true);
    const after = rssKiB(shimPid);
    // Bounded, not small: the client grew the shim by 578 MB and it never shrank; this one is
    // cut after 16 MiB unread with at most 1024 calls in flight, but V8 keeps what those calls
    // allocated until it collects (+152 MiB seen once on a loaded CI run, under 150 MiB elsewhere).
    expect(after - before).toBeLessThan(250 * 1024);
    // The shim's log reaches containerd's log file through a FIFO: the line may land just after the close.
    await waitFor('the shim to log the cut', async () => readFileSync(suite.containerd.logPath, 'utf8').includes('ttrpc: the client does not read its replies'), 10_000);
    // The shim may still be busy for a moment with what it had read of the flood.
    await waitFor(`${id} to answer containerd again`, async () => (await status(id)) === 'RUNNING', 60_000);
    expect((await ctr(['task', 'kill', '-s', 'KILL', id])).code).toBe(0);
    await waitFor(`${id} to stop`, async () => (await status(id)) === 'STOPPED', 60_000);
    expect((await ctr(['task', 'delete', id])).code).toBe(0);
  }, 300_000);

  it('security: a host user (uid 65534) cannot reach the shim socket, the sandbox directory or its sockets', async () => {
    const id = 'private';
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sleep', '600'])).code).toBe(0);
    const sandboxDir = join(suite.runDir, 'sandboxes', id);
    const asNobody = (cmd: string) => runCommand('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'sh', '-c', cmd], { timeoutMs: 30_000 });
    for (const target of [shimSocket(id), join(sandboxDir, 'proxy.sock'), join(sandboxDir, 'qmp.sock')]) {
      const r = await asNobody(`exec socat -u OPEN:/dev/null UNIX-CONNECT:${target}`);
      expect(r.code, target).not.toBe(0);
      expect(r.stderr, target).toMatch(/Permission denied/);
    }
    expect((await asNobody(`ls ${sandboxDir}`)).stderr).toMatch(/Permission denied/);
    expect((await ctr(['task', 'delete', '-f', id], { timeoutMs: 90_000 })).code).toBe(0);
  }, 300_000);

  it('item 8: a missing executable given by path is said not to exist (not "not found in $PATH")', async () => {
    const id = 'no-exe';
    shimSocket(id);
    const r = await ctr([...kataRun(), '--rm', suite.image, id, '/nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('executable file `/nope` does not exist');
    expect(r.stderr).not.toContain('$PATH');
    await ctr(['container', 'rm', id]);
  }, 300_000);

  it('holds: a containerd restart (SIGKILL) keeps a running task reachable, and it stops and deletes after', async () => {
    const id = 'restart';
    shimSocket(id);
    expect((await ctr([...kataRun(), '-d', suite.image, id, 'sleep', '600'])).code).toBe(0);
    const { pid } = suite.containerd;
    process.kill(pid, 'SIGKILL');
    await waitFor('containerd to be gone', () => processGone(pid), 10_000);
    await suite.startContainerd();
    await waitFor(`${id} to be seen again`, async () => (await status(id)) === 'RUNNING', 60_000);
    expect((await ctr(['task', 'kill', '-s', 'KILL', id])).code).toBe(0);
    await waitFor(`${id} to stop`, async () => (await status(id)) === 'STOPPED', 60_000);
    expect((await ctr(['task', 'delete', id])).code).toBe(0);
  }, 300_000);
});

describe('configuration faults name the file, the line and the key', () => {
  it('item 8: default_memory = 100 fails naming the file and hypervisor.qemu.default_memory', async () => {
    const small = writeConfig('small', (t) => t.replace(/^default_memory = .*$/m, 'default_memory = 100'));
    const r = await ctr([...kataRun(small), '--rm', suite.image, 'small-mem', 'true'], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(small);
    expect(r.stderr).toContain('hypervisor.qemu.default_memory');
    await ctr(['container', 'rm', 'small-mem']);
  }, 120_000);

  it('item 8: a TOML syntax error names its line', async () => {
    const broken = writeConfig('broken', (t) => `${t}\n[hypervisor.qemu\n`);
    const line = readFileSync(broken, 'utf8').split('\n').length - 1;
    const r = await ctr([...kataRun(broken), '--rm', suite.image, 'bad-toml', 'true'], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${broken}: TOML syntax error`);
    expect(r.stderr).toMatch(new RegExp(`line ${line}\\b`));
    await ctr(['container', 'rm', 'bad-toml']);
  }, 120_000);
});
