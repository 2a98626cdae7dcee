import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctrSuite } from '../src/ctr-suite';

/*
 * Every byte of a big stdin and a big stdout, checked by sha256, through the whole path: ctr, the
 * FIFOs (or ctr's terminal), the shim's io copier, ttrpc over the VM's channel, the agent, the
 * process's pipe or pty in the guest. On `ctr run` and `ctr task exec`, with and without -t.
 * STDIO_INTEGRITY_MIB sets the size per direction (default 32: at the few MiB/s that TCG carries
 * here, 8 transfers of 200 MiB would take most of an hour).
 */

const MIB = 1024 * 1024;
const SIZE = Number(process.env.STDIO_INTEGRITY_MIB ?? 32) * MIB;
const READY = 'READY\n';
/** At least 50 KiB/s each way: a stuck copy fails the test rather than hang it. */
const STREAM_TIMEOUT_MS = 120_000 + (SIZE / MIB) * 40_000;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The container program: raw terminal (with -t: no echo, no line editing, no \n → \r\n), READY,
 * then SIZE bytes of stdin to sha256sum, then SIZE random bytes to stdout with their sha256sum
 * after them (tee into a FIFO: no copy of them in the guest).
 */
const program = (tty: boolean) =>
  [
    tty ? 'stty raw -echo' : ':',
    `printf '${READY.trim()}\\n'`,
    `head -c ${SIZE} | sha256sum`,
    // In /dev/shm (the rootfs is a 9p share, which makes no FIFOs), per shell: execs share it.
    'f=/dev/shm/io-$$',
    'mkfifo $f',
    'sha256sum < $f > $f.sha &',
    `head -c ${SIZE} /dev/urandom | tee $f`,
    'wait',
    'cat $f.sha',
    'rm $f $f.sha',
  ].join('\n');

const suite = ctrSuite('kata-e2e-stdio');
const { kataRun } = suite;

/**
 * Runs ctr (on a pseudo-terminal through script(1) when `tty`), sends `input` once the program
 * printed READY, and collects stdout as bytes. stdin stays open until ctr exits: with a terminal,
 * an EOF would be a byte for the program.
 */
function ctrStream(args: string[], tty: boolean, input: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const { containerd } = suite;
  const argv = ['ctr', '--address', containerd.address, '-n', containerd.namespace, ...args];
  // ctr's raw terminal keeps output processing on (containerd/console sets OPOST), as under runc:
  // without onlcr it adds no \r to the program's \n.
  const shell = `stty -onlcr; exec ${argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')}`;
  const [file, fileArgs] = tty ? ['script', ['-qec', shell, '/dev/null']] : [argv[0]!, argv.slice(1)];
  return new Promise((resolve, reject) => {
    const child = spawn(file as string, fileArgs as string[], { env: containerd.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let seen = 0;
    let sent = false;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      seen += b.length;
      if (!sent && seen >= READY.length && Buffer.concat(out).includes(READY)) {
        sent = true;
        child.stdin.write(input);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdin.on('error', () => {}); // ctr gone before its stdin was read: the output check says what failed
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), STREAM_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}

/**
 * What a run of `program` gave back: READY, the sha256 of the stdin it read, SIZE bytes, and the
 * sha256 the guest computed of those bytes (the trailing "<64 hex>  -\n").
 */
function parse(stdout: Buffer): { stdinSha: string; stdoutLength: number; stdoutSha: string; guestStdoutSha: string } {
  const at = stdout.indexOf(READY);
  const rest = stdout.subarray(at < 0 ? 0 : at + READY.length);
  const line = rest.indexOf('\n');
  const data = rest.subarray(line + 1, rest.length - 68);
  return {
    stdinSha: rest.subarray(0, line).toString().split(' ')[0] ?? '',
    stdoutLength: data.length,
    stdoutSha: sha256(data),
    guestStdoutSha: rest.subarray(rest.length - 68, rest.length - 4).toString(),
  };
}

/** Runs `program` through ctr with `args` before the command, and checks both directions. */
async function expectIntact(args: string[], tty: boolean): Promise<void> {
  const input = randomBytes(SIZE);
  const r = await ctrStream([...args, 'sh', '-c', program(tty)], tty, input);
  expect(r.code, `${r.stderr}\nstdout began: ${JSON.stringify(r.stdout.subarray(0, 300).toString('latin1'))}`).toBe(0);
  const { guestStdoutSha, ...got } = parse(r.stdout);
  expect(guestStdoutSha).toMatch(/^[0-9a-f]{64}$/);
  expect(got).toEqual({ stdinSha: sha256(input), stdoutLength: SIZE, stdoutSha: guestStdoutSha });
}

describe(`stdin and stdout integrity, ${SIZE / MIB} MiB each way by sha256 (kata-ts through containerd)`, () => {
  const exec = 'io-exec';

  beforeAll(async () => {
    const r = await suite.ctr([...kataRun(), '-d', suite.image, exec, 'sleep', '3600'], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`ctr run: ${r.stderr}\n${suite.containerd.logTail(30)}`);
  }, 300_000);

  afterAll(async () => {
    // A run that failed (or was cut by its timeout) leaves its container.
    await suite.containerd.removeContainers([exec, 'io-run', 'io-run-t']);
    await suite.expectNoLeaks();
  }, 120_000);

  for (const tty of [false, true]) {
    const t = tty ? ['-t'] : [];
    it(`ctr run${tty ? ' -t' : ''}`, () => expectIntact([...kataRun(), ...t, '--rm', suite.image, `io-run${tty ? '-t' : ''}`], tty), STREAM_TIMEOUT_MS + 60_000);
    it(`ctr task exec${tty ? ' -t' : ''}`, () => expectIntact(['task', 'exec', ...t, '--exec-id', `io${tty ? '-t' : ''}`, exec], tty), STREAM_TIMEOUT_MS + 60_000);
  }
});
