import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createLogger } from '@kata-ts/logging';
import { startAgent } from './agent';
import { consoleShell, debugConsoleFromCmdline } from './console/debug-console-config';
import { GUEST_SHARED_DIR } from '@kata-ts/guest-contract';
import { guestChannels } from './transport/guest-channels';

const here = dirname(fileURLToPath(import.meta.url));

/** What the loader (loader.ts) found of the bundle's V8 code cache. */
export type CodeCacheState = 'used' | 'rejected' | 'absent';

/** Parses the command line and starts the agent; resolves once it listens on every endpoint. */
export async function main(codeCache: CodeCacheState): Promise<void> {
  const program = new Command('kata-agent')
    .description('The kata-ts in-guest agent: grpc.AgentService and grpc.Health over ttrpc')
    .option('--guest', 'run inside the VM: listen on vsock and the virtio-serial channel when present')
    .option('--listen <uri...>', 'also listen on: unix:///path, vsock://-1:1024, serial://agent.channel.0:1024', [])
    .option('--root <dir>', 'state directory (bundles, stdio FIFOs, crun state)', '/run/kata-agent')
    .option('--shared-dir <dir>', 'where container rootfs live (<dir>/<id>/rootfs)', GUEST_SHARED_DIR)
    .option('--crun <path>', 'crun binary', existsSync(join(here, 'crun')) ? join(here, 'crun') : 'crun')
    .option('--monitor <path>', 'kata-agent-monitor binary', join(here, 'kata-agent-monitor'))
    .option('--sys-helper <path>', 'kata-agent-sys binary', join(here, 'kata-agent-sys'))
    .option('--ip <path>', "iproute2's ip binary (the pod's network)", 'ip')
    .option('--kernel-cmdline <path>', 'where to read agent.debug_console[_vport] from', '/proc/cmdline')
    .option('--log <path>', 'log file (default: stderr)')
    .option('--log-level <level>', 'pino level', process.env.KATA_TS_LOG_LEVEL ?? 'info');

  const opts = program.parse().opts<{
    guest?: boolean;
    listen: string[];
    root: string;
    sharedDir: string;
    crun: string;
    monitor: string;
    sysHelper: string;
    ip: string;
    kernelCmdline: string;
    log?: string;
    logLevel: string;
  }>();

  const log = createLogger({ name: 'kata-agent', destination: opts.log, level: opts.logLevel });
  const guestUris = opts.guest ? guestChannels() : [];
  if (opts.listen.length + guestUris.length === 0) {
    log.error('nothing to listen on: give --listen or --guest');
    process.exit(2);
  }

  const running = await startAgent(
    { stateRoot: opts.root, crun: opts.crun, monitor: opts.monitor, sysHelper: opts.sysHelper, ip: opts.ip, sharedDir: opts.sharedDir, guest: opts.guest ?? false },
    opts.listen,
    log,
    guestUris,
    debugConsoleFromCmdline(readCmdline(opts.kernelCmdline), consoleShell(here)),
  );
  // Without it, startup compiles the whole bundle: ~0.25 s more in a TCG guest.
  if (codeCache !== 'used') log.warn({ codeCache }, 'no usable V8 code cache (kata-agent.bundle.cache missing, or made by another node)');
  // startMs: from Node's start to here (its own start, the bundle, the listeners): a boot's share.
  log.info({ pid: process.pid, startMs: Math.round(process.uptime() * 1000) }, 'kata-agent ready');

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      running.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'teardown failed');
          process.exit(1);
        },
      );
    });
  }
}

/** No readable command line means no debug console. */
function readCmdline(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
