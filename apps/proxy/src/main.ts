import { closeSync, writeSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from '@kata-ts/logging';
import { startProxy } from './proxy';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const program = new Command('kata-proxy')
  .description("multiplexes hybrid-vsock connections over a VM's virtio-serial channel")
  .requiredOption('--channel <path>', "QEMU's virtio-serial chardev unix socket")
  .requiredOption('--listen <path>', 'the hybrid-vsock unix socket to serve (CONNECT <port> / OK <n>)')
  .option('--sandbox <id>', 'sandbox id, added to every log line')
  .option('--log <path>', 'log file (default: stderr)')
  .option('--ready-fd <n>', 'write "ready\\n" to this fd once serving, then close it', positiveInt)
  .option('--channel-timeout <ms>', "how long to wait for QEMU's socket", positiveInt, 30_000)
  .option('--accept-timeout <ms>', 'how long the guest may take to accept a port before the client is closed without OK', positiveInt, 3000)
  .showHelpAfterError();

const opts = program.parse().opts<{
  channel: string;
  listen: string;
  sandbox?: string;
  log?: string;
  readyFd?: number;
  channelTimeout: number;
  acceptTimeout: number;
}>();

const log = createLogger({ name: 'kata-proxy', destination: opts.log, bindings: opts.sandbox ? { sandbox: opts.sandbox } : undefined });

try {
  const proxy = await startProxy({
    channelPath: opts.channel,
    listenPath: opts.listen,
    log,
    channelTimeoutMs: opts.channelTimeout,
    acceptTimeoutMs: opts.acceptTimeout,
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void proxy.stop());
  if (opts.readyFd !== undefined) {
    writeSync(opts.readyFd, 'ready\n');
    if (opts.readyFd > 2) closeSync(opts.readyFd);
  }
  const exit = await proxy.done;
  log.info({ exit }, 'exiting');
  process.exit(0);
} catch (err) {
  log.error({ err }, 'kata-proxy failed');
  process.exit(1);
}
