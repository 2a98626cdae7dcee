import { parseArgs } from 'node:util';

/**
 * The agent's command line, parsed with node:util's parseArgs: commander's module and option
 * setup were ~110 ms of the agent's start in a TCG guest (a V8 profile of the start), on every
 * boot, for a command line only kata-init and tests write.
 */
export interface AgentArgs {
  help: boolean;
  guest: boolean;
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
}

type Defaults = Pick<AgentArgs, 'sharedDir' | 'crun' | 'monitor' | 'sysHelper' | 'logLevel'>;

/** Every option: its value's name (none for a flag) and what it is for. */
const OPTIONS: Record<string, { value?: string; help: string; short?: string }> = {
  guest: { help: 'run inside the VM: listen on vsock and the virtio-serial channel when present' },
  listen: { value: 'uri', help: 'also listen on (repeatable): unix:///path, vsock://-1:1024, serial://agent.channel.0:1024' },
  root: { value: 'dir', help: 'state directory (bundles, stdio FIFOs, crun state)' },
  'shared-dir': { value: 'dir', help: 'where container rootfs live (<dir>/<id>/rootfs)' },
  crun: { value: 'path', help: 'crun binary' },
  monitor: { value: 'path', help: 'kata-agent-monitor binary' },
  'sys-helper': { value: 'path', help: 'kata-agent-sys binary' },
  ip: { value: 'path', help: "iproute2's ip binary (the pod's network)" },
  'kernel-cmdline': { value: 'path', help: 'where to read agent.debug_console[_vport] from' },
  log: { value: 'path', help: 'log file (default: stderr)' },
  'log-level': { value: 'level', help: 'pino level' },
  help: { short: 'h', help: 'display this help' },
};

/** Parses `argv` (without node and the script); throws a TypeError naming a bad option. */
export function parseAgentArgs(argv: string[], defaults: Defaults): AgentArgs {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(OPTIONS).map(([name, o]) => [name, { type: o.value ? 'string' : 'boolean', multiple: name === 'listen', ...(o.short ? { short: o.short } : {}) }] as const),
    ),
    strict: true,
    allowPositionals: false,
  });
  const text = (name: string, fallback: string) => (values[name] as string | undefined) ?? fallback;
  return {
    help: values.help === true,
    guest: values.guest === true,
    listen: (values.listen as string[] | undefined) ?? [],
    root: text('root', '/run/kata-agent'),
    sharedDir: text('shared-dir', defaults.sharedDir),
    crun: text('crun', defaults.crun),
    monitor: text('monitor', defaults.monitor),
    sysHelper: text('sys-helper', defaults.sysHelper),
    ip: text('ip', 'ip'),
    kernelCmdline: text('kernel-cmdline', '/proc/cmdline'),
    log: values.log as string | undefined,
    logLevel: text('log-level', defaults.logLevel),
  };
}

export function agentUsage(): string {
  const lines = Object.entries(OPTIONS).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` <${o.value}>` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  });
  return ['Usage: kata-agent [options]', '', 'The kata-ts in-guest agent: grpc.AgentService and grpc.Health over ttrpc', '', 'Options:', ...lines, ''].join('\n');
}
