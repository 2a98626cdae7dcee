import { Command, CommanderError, Option } from 'commander';
import { stringify as toToml } from 'smol-toml';
import type { CheckReport } from './check/check-item';
import { DEFAULT_CONTAINERD_ADDRESS } from './check/containerd-version';
import { formatCheckReport } from './check/format-check-report';
import { pathExists } from './check/host-checks';
import { runCheck, type HostProbe } from './check/run-check';
import { CliError } from './cli-error';
import type { FactoryAction } from './factory/run-factory';
import type { KataConfig } from '@kata-ts/config';
import { defaultRunDir } from './exec/shim-state-locator';
import { effectiveEnv, hostFacts, qemuVersion } from './env/effective-env';
import { loadCliConfig } from './load-cli-config';
import { formatVersion, versionInfo } from './version-info';

export interface CliDeps {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** This executable's real path: `<prefix>/bin/kata-runtime` makes `<prefix>`'s defaults a config candidate. */
  runtimePath: string;
  /** The host `check` inspects (containerdAddress is overridden by --containerd-address). */
  host: HostProbe;
  exec: (sandboxId: string, options: { configFile: string | undefined; runDir: string }) => Promise<number>;
  factory: (action: FactoryAction, config: KataConfig, runDir: string) => Promise<number>;
}

/** The `kata-runtime` command tree; actions set `exitCode` rather than exiting, so tests can drive it. */
export function createProgram(deps: CliDeps): { program: Command; exitCode: () => number } {
  let exitCode = 0;
  const program = new Command('kata-runtime')
    .description('kata-ts runtime tool: check the host, show the effective configuration, debug a sandbox')
    .option('--config <file>', 'configuration file (default: KATA_CONF_FILE, then the standard paths)')
    .version(formatVersion(versionInfo()).trimEnd(), '-v, --version', 'print the version')
    .configureOutput({ writeOut: deps.out, writeErr: deps.err, outputError: (text, write) => write(text) })
    .showHelpAfterError('(run kata-runtime --help for usage)')
    .exitOverride();
  const configFile = (): string | undefined => program.opts().config as string | undefined;

  program
    .command('version')
    .description('print the version, commit and the OCI runtime-spec version')
    .action(() => deps.out(formatVersion(versionInfo())));

  program
    .command('check')
    .alias('kata-check')
    .description('test whether the system can run kata-ts containers, saying exactly what is missing')
    .option('--json', 'print the result as JSON')
    .option('--verbose', 'list every check, not only fallbacks and problems')
    .addOption(new Option('--containerd-address <path>', "containerd's socket").env('CONTAINERD_ADDRESS').default(deps.host.containerdAddress))
    .action(async (opts: { json?: boolean; verbose?: boolean; containerdAddress: string }) => {
      const config = tryLoad(() => loadCliConfig(configFile(), deps.env, deps.runtimePath));
      const report: CheckReport = await runCheck({ host: { ...deps.host, containerdAddress: opts.containerdAddress }, config });
      const text = opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report, Boolean(opts.verbose));
      // Kata prints the verdict to stdout when capable; a failed check goes to stderr as an error.
      if (report.capable || opts.json) deps.out(text);
      else deps.err(text);
      exitCode = report.capable ? 0 : 1;
    });

  program
    .command('env')
    .alias('kata-env')
    .description('show the effective configuration: which file was loaded and why, hypervisor, kernel, initrd, paths')
    .option('--json', 'print JSON instead of TOML')
    .action((opts: { json?: boolean }) => {
      const config = loadCliConfig(configFile(), deps.env, deps.runtimePath);
      const host = hostFacts(pathExists(deps.host.kvmDevice), pathExists(deps.host.vhostVsockDevice));
      const env = effectiveEnv(config, versionInfo(), deps.runtimePath, host, qemuVersion(config.hypervisor.path));
      deps.out(opts.json ? `${JSON.stringify(env, null, 2)}\n` : toToml(env) + '\n');
    });

  program
    .command('exec')
    .argument('<sandbox-id>', 'the sandbox (pod) whose VM to enter')
    .description("open the guest's debug console (needs [agent.kata] debug_console_enabled = true)")
    .addOption(new Option('--run-dir <dir>', "the shim's run directory (sandboxes/<id>/ under it)").default(defaultRunDir(deps.env)))
    .action(async (sandboxId: string, opts: { runDir: string }) => {
      exitCode = await deps.exec(sandboxId, { configFile: configFile(), runDir: opts.runDir });
    });

  const factory = program.command('factory').description("manage VM templates ([factory] enable_template): sandboxes resume from one instead of booting");
  const runDirOption = () => new Option('--run-dir <dir>', "the shim's run directory (its KVM verdict cache)").default(defaultRunDir(deps.env));
  for (const [action, description] of [
    ['init', 'make the VM template for default-size sandboxes now (else the first sandbox makes it)'],
    ['status', 'show whether templating is on and the templates made'],
    ['destroy', 'remove every template (running sandboxes keep working)'],
  ] as const) {
    factory
      .command(action)
      .description(description)
      .addOption(runDirOption())
      .action(async (opts: { runDir: string }) => {
        exitCode = await deps.factory(action, loadCliConfig(configFile(), deps.env, deps.runtimePath), opts.runDir);
      });
  }

  return { program, exitCode: () => exitCode };
}

/** Runs the CLI; returns the process exit code. Errors become `kata-runtime: <message>` on stderr. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const { program, exitCode } = createProgram(deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof CliError) {
      deps.err(`kata-runtime: ${err.message}\n`);
      return err.exitCode;
    }
    deps.err(`kata-runtime: ${(err as Error).message}\n`);
    return 1;
  }
}

export const DEFAULT_HOST: Omit<HostProbe, 'probeKvm'> = {
  cpuinfoPath: '/proc/cpuinfo',
  kvmDevice: '/dev/kvm',
  vhostVsockDevice: '/dev/vhost-vsock',
  containerdAddress: DEFAULT_CONTAINERD_ADDRESS,
};

function tryLoad<T>(load: () => T): T | Error {
  try {
    return load();
  } catch (err) {
    return err as Error;
  }
}
