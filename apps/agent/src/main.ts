import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@kata-ts/logging';
import { startAgent } from './agent';
import { agentUsage, parseAgentArgs, type AgentArgs } from './agent-args';
import { consoleShell, debugConsoleFromCmdline } from './console/debug-console-config';
import { GUEST_SHARED_DIR } from '@kata-ts/guest-contract';
import { guestChannels } from './transport/guest-channels';

const here = dirname(fileURLToPath(import.meta.url));

/** What the loader (loader.ts) found of the bundle's V8 code cache. */
export type CodeCacheState = 'used' | 'rejected' | 'absent';

/** Parses the command line and starts the agent; resolves once it listens on every endpoint. */
export async function main(codeCache: CodeCacheState): Promise<void> {
  let opts: AgentArgs;
  try {
    opts = parseAgentArgs(process.argv.slice(2), {
      sharedDir: GUEST_SHARED_DIR,
      crun: existsSync(join(here, 'crun')) ? join(here, 'crun') : 'crun',
      monitor: join(here, 'kata-agent-monitor'),
      sysHelper: join(here, 'kata-agent-sys'),
      logLevel: process.env.KATA_TS_LOG_LEVEL ?? 'info',
    });
  } catch (err) {
    process.stderr.write(`kata-agent: ${(err as Error).message}\n\n${agentUsage()}`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(agentUsage());
    process.exit(0);
  }

  const log = createLogger({ name: 'kata-agent', destination: opts.log, level: opts.logLevel });
  const guestUris = opts.guest ? guestChannels() : [];
  if (opts.listen.length + guestUris.length === 0) {
    log.error('nothing to listen on: give --listen or --guest');
    process.exit(2);
  }

  const running = await startAgent(
    { stateRoot: opts.root, crun: opts.crun, monitor: opts.monitor, sysHelper: opts.sysHelper, ip: opts.ip, sharedDir: opts.sharedDir, guest: opts.guest },
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
