import { isAbsolute } from 'node:path';
import { createLogger } from '@kata-ts/logging';
import { Command, InvalidArgumentError, Option } from 'commander';
import { cleanup, reset } from './cleanup';
import { DeployError } from './deploy-error';
import { install } from './install';
import { readRecord } from './install-record';
import { DEFAULTS, type DeployOptions, type RunContext } from './options';

const log = createLogger({ name: 'kata-deploy' });

/** Node paths go into shell wrappers and TOML strings unquoted-safe: plain absolute paths only. */
function nodePath(flag: string) {
  return (value: string): string => {
    if (!isAbsolute(value) || !/^[A-Za-z0-9/._+-]+$/.test(value)) throw new InvalidArgumentError(`${flag} ${JSON.stringify(value)}: an absolute path of letters, digits and / . _ + - is required`);
    return value.replace(/\/+$/, '') || '/';
  };
}

function withOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--host-root <dir>', "where the node's / is mounted").default(DEFAULTS.hostRoot))
    .addOption(new Option('--prefix <path>', 'node path of the install').default(DEFAULTS.prefix).argParser(nodePath('--prefix')))
    .addOption(new Option('--artifacts <dir>', 'the kata-ts install to copy (tools/install.sh --prefix output)').default(DEFAULTS.artifacts))
    .addOption(new Option('--containerd-config <path>', 'node path of the containerd config to edit (default: found by distribution)').argParser(nodePath('--containerd-config')))
    .addOption(new Option('--containerd-address <path>', "node path of containerd's socket").default(DEFAULTS.containerdAddress))
    .addOption(new Option('--shim-link-dir <path>', "node path of a directory on containerd's PATH for the shim link").default(DEFAULTS.shimLinkDir).argParser(nodePath('--shim-link-dir')))
    .addOption(new Option('--restart-command <sh>', 'shell command restarting containerd (default: systemctl restart in the node\'s namespace)'))
    .addOption(new Option('--state-dir <path>', 'node path of the install record').default(DEFAULTS.stateDir).argParser(nodePath('--state-dir')))
    .addOption(new Option('--node-name <name>', 'the Kubernetes node to label').env('NODE_NAME'))
    .addOption(new Option('--credentials-root <dir>', 'prefix of the service account files').default(DEFAULTS.credentialsRoot))
    .addOption(new Option('--wait-timeout <seconds>', 'how long containerd may take to list the runtime').default('120'))
    .option('--no-label', 'do not label the node (outside a cluster)');
}

function context(cmd: Command): RunContext {
  const o = cmd.opts<Omit<DeployOptions, 'waitTimeoutMs'> & { waitTimeout: string; label: boolean }>();
  const { waitTimeout, label, ...rest } = o;
  return { options: { ...rest, waitTimeoutMs: Number(waitTimeout) * 1000 }, log, label };
}

/** Runs a command; a DeployError is one log line and exit 1, anything else a bug with its stack. */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DeployError) log.error({ code: err.code }, err.message);
    else log.error({ err }, 'kata-deploy failed');
    process.exit(1);
  }
}

/**
 * Resolves at the first SIGTERM (the DaemonSet's pod is going away). Listening from the start
 * means a SIGTERM during install is kept for after it, and a second one does not kill the cleanup.
 */
function sigterm(): Promise<void> {
  return new Promise((resolve) => {
    // A signal listener holds no event-loop handle: without this timer Node would exit (code 13,
    // an unsettled top-level await) as soon as install is done instead of waiting.
    const alive = setInterval(() => undefined, 1 << 30);
    process.on('SIGTERM', () => {
      clearInterval(alive);
      resolve();
    });
  });
}

/** The command line; the manifests' test reads its commands and options. */
export function createProgram(): Command {
  const program = new Command('kata-deploy').description('Install kata-ts on this Kubernetes node, and take it off again exactly').showHelpAfterError();

  withOptions(program.command('install'))
    .description('install, then wait for SIGTERM and clean up (the DaemonSet container)')
    .option('--exit', 'exit after installing instead of waiting for SIGTERM')
    .action(function (this: Command) {
      const ctx = context(this);
      const terminated = this.opts().exit ? undefined : sigterm();
      return run(async () => {
        await install(ctx);
        if (!terminated) return;
        log.info({ step: 'wait' }, 'installed; cleanup on SIGTERM');
        await terminated;
        await cleanup(ctx);
      });
    });

  withOptions(program.command('cleanup'))
    .description('undo what install did (the preStop hook)')
    .action(function (this: Command) {
      return run(() => cleanup(context(this)));
    });

  withOptions(program.command('reset'))
    .description('remove the node label, then wait for SIGTERM (the kata-cleanup DaemonSet, which then leaves the node)')
    .option('--exit', 'exit after removing the label')
    .action(function (this: Command) {
      const terminated = this.opts().exit ? undefined : sigterm();
      return run(async () => {
        await reset(context(this));
        await terminated;
      });
    });

  withOptions(program.command('status'))
    .description('exit 0 when an install is complete (the readiness probe)')
    .action(function (this: Command) {
      process.exitCode = readRecord(context(this).options)?.complete ? 0 : 1;
    });

  return program;
}
