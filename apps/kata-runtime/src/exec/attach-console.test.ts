import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attachConsole, type ConsoleStdin } from './attach-console';

type FakeTty = PassThrough & ConsoleStdin & { modes: boolean[] };

function fakeTty(): FakeTty {
  const stdin = new PassThrough() as FakeTty;
  stdin.isTTY = true;
  stdin.modes = [];
  stdin.setRawMode = (mode: boolean) => stdin.modes.push(mode);
  return stdin;
}

describe('attachConsole', () => {
  it('puts a TTY in raw mode for the session and restores it when the guest side closes', async () => {
    const stdin = fakeTty();
    const toGuest = new PassThrough();
    const fromGuest = new PassThrough();
    const stdout = new PassThrough();
    let shown = '';
    stdout.on('data', (c: Buffer) => (shown += c.toString()));
    let sent = '';
    toGuest.on('data', (c: Buffer) => (sent += c.toString()));
    const session = attachConsole(Duplex.from({ readable: fromGuest, writable: toGuest }), stdin, stdout);
    expect(stdin.modes).toEqual([true]);
    stdin.write('\x03'); // ^C goes to the guest instead of killing kata-runtime
    fromGuest.write('# ');
    await new Promise((r) => setImmediate(r));
    fromGuest.end();
    await session;
    expect(stdin.modes).toEqual([true, false]);
    expect(sent).toBe('\x03');
    expect(shown).toBe('# ');
  });

  it('leaves a non-TTY stdin alone and does not end the console at its EOF', async () => {
    const stdin = new PassThrough();
    const toGuest = new PassThrough();
    const fromGuest = new PassThrough();
    let ended = false;
    toGuest.on('finish', () => (ended = true));
    toGuest.resume();
    const session = attachConsole(Duplex.from({ readable: fromGuest, writable: toGuest }), stdin, new PassThrough());
    stdin.end('exit\n');
    await new Promise((r) => setImmediate(r));
    expect(ended).toBe(false);
    fromGuest.end();
    await session;
  });
});
