// cri: a tiny crictl for containerd's CRI plugin (no crictl on Debian 12). Run with tsx:
//   npx tsx libs/cri-client/src/cli.ts --address /run/containerd/containerd.sock pods
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { CriClient } from './cri-client';
import { CriError } from './cri-error';
import { cri } from '@kata-ts/protocols';
import { parseCriLog } from './cri-log';
import { containerConfig, podSandboxConfig, podSandboxConfigFromStatus } from './pod-config';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** `k=v` pairs (repeatable option) into a map. */
function collectPairs(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new Error(`expected key=value, got ${value}`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

const ago = (nanos: string) => {
  const seconds = Math.max(0, Math.round((Date.now() - Number(BigInt(nanos) / 1_000_000n)) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
};
const short = (id: string) => id.slice(0, 13);
const stateName = (enumObj: Record<number, string>, value: number) => (enumObj[value] ?? String(value)).replace(/^(CONTAINER|SANDBOX)_/, '');

const program = new Command('cri')
  .description('A small crictl-like CLI for containerd’s CRI plugin (runtime.v1)')
  .addOption(new Option('-a, --address <socket>', 'containerd socket').env('CONTAINER_RUNTIME_ENDPOINT').default('/run/containerd/containerd.sock'))
  .addOption(new Option('-t, --timeout <ms>', 'deadline of each call').default('120000'))
  // Lets `exec <id> sh -c ...` and `create ... <command...>` pass the command's own flags through.
  .enablePositionalOptions();

/** Connects, runs one command, closes; what the command resolves to is not printed. */
async function withClient(fn: (client: CriClient) => Promise<unknown>): Promise<void> {
  const opts = program.opts<{ address: string; timeout: string }>();
  const client = await CriClient.connect(opts.address, { timeoutMs: Number(opts.timeout) });
  try {
    await fn(client);
  } finally {
    client.close();
  }
}

program.command('version').action(() =>
  withClient(async (c) => {
    const v = await c.runtime.version({ version: 'v1' });
    out(`RuntimeName: ${v.runtimeName}\nRuntimeVersion: ${v.runtimeVersion}\nRuntimeApiVersion: ${v.runtimeApiVersion}`);
  }),
);

program.command('info').description('runtime conditions (Status)').action(() =>
  withClient(async (c) => out(JSON.stringify((await c.runtime.status({ verbose: false })).status, null, 2))),
);

program
  .command('runp <name>')
  .description('run a pod sandbox (host network); prints its id')
  .option('-r, --runtime <handler>', 'RuntimeClass handler, e.g. kata (default: containerd’s default)', '')
  .option('-n, --namespace <ns>', 'pod namespace', 'default')
  .option('--log-dir <dir>', 'pod log directory')
  .option('--annotation <k=v>', 'pod annotation (repeatable)', collectPairs, {})
  .action((name: string, o: { runtime: string; namespace: string; logDir?: string; annotation: Record<string, string> }) =>
    withClient(async (c) => {
      const config = podSandboxConfig({ name, namespace: o.namespace, logDirectory: o.logDir, annotations: o.annotation });
      out((await c.runtime.runPodSandbox({ config, runtimeHandler: o.runtime })).podSandboxId);
    }),
  );

program
  .command('create <pod-id> <name> <image> [command...]')
  .description('create a container in a pod; prints its id')
  .passThroughOptions()
  .option('--log <path>', 'log path relative to the pod log directory')
  .option('-e, --env <k=v>', 'environment variable (repeatable)', collectPairs, {})
  .action((podSandboxId: string, name: string, image: string, command: string[], o: { log?: string; env: Record<string, string> }) =>
    withClient(async (c) => {
      const { status, info } = await c.runtime.podSandboxStatus({ podSandboxId, verbose: true });
      if (!status) throw new Error(`pod ${podSandboxId} has no status`);
      const config = containerConfig({ name, image, command, env: o.env, logPath: o.log });
      out((await c.runtime.createContainer({ podSandboxId: status.id, config, sandboxConfig: podSandboxConfigFromStatus(status, info) })).containerId);
    }),
  );

program.command('start <container-id>').action((containerId: string) => withClient((c) => c.runtime.startContainer({ containerId })));
program
  .command('stop <container-id>')
  .option('--timeout <s>', 'seconds before SIGKILL', '10')
  .action((containerId: string, o: { timeout: string }) => withClient((c) => c.runtime.stopContainer({ containerId, timeout: Number(o.timeout) })));
program.command('rm <container-id>').action((containerId: string) => withClient((c) => c.runtime.removeContainer({ containerId })));
program.command('stopp <pod-id>').action((podSandboxId: string) => withClient((c) => c.runtime.stopPodSandbox({ podSandboxId })));
program.command('rmp <pod-id>').action((podSandboxId: string) => withClient((c) => c.runtime.removePodSandbox({ podSandboxId })));

program
  .command('exec <container-id> <command...>')
  .description('run a command in a container (ExecSync); exits with its code')
  .passThroughOptions()
  .option('--timeout <s>', 'seconds; 0 = none', '0')
  .action((containerId: string, cmd: string[], o: { timeout: string }) =>
    withClient(async (c) => {
      const r = await c.runtime.execSync({ containerId, cmd, timeout: Number(o.timeout) });
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    }),
  );

program
  .command('logs <container-id>')
  .description('print the container log the CRI plugin wrote (stdout to stdout, stderr to stderr)')
  .action((containerId: string) =>
    withClient(async (c) => {
      const { status } = await c.runtime.containerStatus({ containerId });
      if (!status?.logPath) throw new Error(`container ${containerId} has no log path (its pod has no log directory)`);
      for (const line of parseCriLog(await readFile(status.logPath, 'utf8'))) {
        const text = line.tag.startsWith('P') ? line.content : `${line.content}\n`;
        (line.stream === 'stdout' ? process.stdout : process.stderr).write(text);
      }
    }),
  );

program
  .command('pods')
  .description('list pod sandboxes')
  .action(() =>
    withClient(async (c) => {
      const { items } = await c.runtime.listPodSandbox({});
      table([
        ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'RUNTIME'],
        ...items.map((p) => [short(p.id), ago(p.createdAt), stateName(cri.PodSandboxState, p.state), p.metadata?.name ?? '', p.metadata?.namespace ?? '', p.runtimeHandler || '(default)']),
      ]);
    }),
  );

program
  .command('ps')
  .description('list containers')
  .option('-p, --pod <id>', 'only this pod’s containers')
  .action((o: { pod?: string }) =>
    withClient(async (c) => {
      const { containers } = await c.runtime.listContainers({ filter: { podSandboxId: o.pod ?? '' } });
      table([
        ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'POD ID'],
        ...containers.map((k) => [short(k.id), k.image?.image ?? '', ago(k.createdAt), stateName(cri.ContainerState, k.state), k.metadata?.name ?? '', short(k.podSandboxId)]),
      ]);
    }),
  );

program
  .command('inspect <container-id>')
  .description('ContainerStatus (verbose) as JSON')
  .action((containerId: string) => withClient(async (c) => out(JSON.stringify(await c.runtime.containerStatus({ containerId, verbose: true }), null, 2))));
program
  .command('inspectp <pod-id>')
  .description('PodSandboxStatus (verbose) as JSON')
  .action((podSandboxId: string) => withClient(async (c) => out(JSON.stringify(await c.runtime.podSandboxStatus({ podSandboxId, verbose: true }), null, 2))));
program
  .command('images')
  .action(() =>
    withClient(async (c) => {
      const { images } = await c.image.listImages({});
      table([['IMAGE', 'IMAGE ID', 'SIZE'], ...images.map((i) => [i.repoTags[0] ?? '<none>', i.id.replace('sha256:', '').slice(0, 13), `${(i.size / 1e6).toFixed(1)}MB`])]);
    }),
  );

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`cri: ${err instanceof CriError ? err.message : (err as Error).stack}\n`);
  process.exitCode = 1;
});
