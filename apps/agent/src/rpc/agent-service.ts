import type { Logger } from '@kata-ts/logging';
import { agent } from '@kata-ts/protocols';
import { appendBytesField, EncodedResponse, type CallContext, type ServiceImplementation } from '@kata-ts/ttrpc';
import { listProcesses } from '../container/list-processes';
import { InvalidArgumentError, NotFoundError } from '@kata-ts/errors';
import { EndOfStreamError } from '../errors';
import type { Sandbox } from '../sandbox/sandbox';
import { interfaceFromProto, interfaceToProto, neighborFromProto, routeFromProto, routeToProto, type GuestStorage } from '@kata-ts/guest-contract';
import { processFromProto, resourcesFromProto, specFromProto } from '@kata-ts/oci';
import { statsToProto } from './translate/stats-to-proto';
import { wrapHandler } from './wrap-handler';

/** Largest ReadStdout/ReadStderr answer (ttrpc frames stop at 4 MiB). */
const MAX_READ = 1 << 20;
const DEFAULT_READ = 32 << 10;
/** ReadStreamResponse's one field, `data`: the answer is encoded around the output's own chunks. */
const READ_STREAM_DATA = 1;
const readAnswer = (chunks: Buffer[]) => new EncodedResponse<agent.ReadStreamResponse>(appendBytesField([], READ_STREAM_DATA, chunks));
export const AGENT_VERSION = '0.1.0';

type Service = ServiceImplementation<typeof agent.AgentServiceDefinition>;
type Handler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

const empty = {};
const storages = (list: agent.Storage[]): GuestStorage[] =>
  list.map((s) => ({ driver: s.driver, source: s.source, fstype: s.fstype, options: s.options, mountPoint: s.mountPoint }));

/**
 * grpc.AgentService: each handler translates the request, calls the sandbox (the domain),
 * and translates back. Errors map to statuses in wrapHandler only. RPCs left out (hotplug,
 * swap, policy, ...) answer UNIMPLEMENTED.
 */
export function agentService(sandbox: Sandbox, log: Logger): Service {
  const handlers = {
    createSandbox: async (r: agent.CreateSandboxRequest) => {
      await sandbox.create({
        sandboxId: r.sandboxId,
        hostname: r.hostname,
        dns: r.dns,
        storages: storages(r.storages),
        sandboxPidns: r.sandboxPidns,
        kernelModules: r.kernelModules.map((m) => [m.name, ...m.parameters].join(' ')),
      });
      return empty;
    },
    updateInterface: async (r: agent.UpdateInterfaceRequest) => {
      if (!r.interface) throw new InvalidArgumentError('interface: missing');
      return interfaceToProto(await sandbox.network.updateInterface(interfaceFromProto(r.interface)));
    },
    updateRoutes: async (r: agent.UpdateRoutesRequest) => {
      const routes = await sandbox.network.updateRoutes((r.routes?.Routes ?? []).map((route, n) => routeFromProto(route, n)));
      return { Routes: routes.map(routeToProto) };
    },
    addARPNeighbors: async (r: agent.AddARPNeighborsRequest) => {
      await sandbox.network.addNeighbors((r.neighbors?.ARPNeighbors ?? []).map((n, i) => neighborFromProto(n, i)));
      return empty;
    },
    listInterfaces: async () => ({ Interfaces: (await sandbox.network.listInterfaces()).map(interfaceToProto) }),
    listRoutes: async () => ({ Routes: (await sandbox.network.listRoutes()).map(routeToProto) }),
    destroySandbox: async () => {
      await sandbox.destroy();
      return empty;
    },
    createContainer: async (r: agent.CreateContainerRequest) => {
      if (!r.OCI) throw new InvalidArgumentError('OCI: missing spec');
      await sandbox.createContainer({
        containerId: r.containerId,
        execId: r.execId,
        spec: specFromProto(r.OCI),
        storages: storages(r.storages),
        sandboxPidns: r.sandboxPidns,
      });
      return empty;
    },
    startContainer: async (r: agent.StartContainerRequest) => {
      await sandbox.container(r.containerId).start();
      return empty;
    },
    removeContainer: async (r: agent.RemoveContainerRequest) => {
      await sandbox.removeContainer(r.containerId, r.timeout);
      return empty;
    },
    execProcess: async (r: agent.ExecProcessRequest) => {
      if (!r.process) throw new InvalidArgumentError('process: missing');
      await sandbox.container(r.containerId).exec(r.execId, processFromProto(r.process));
      return empty;
    },
    signalProcess: async (r: agent.SignalProcessRequest) => {
      await sandbox.container(r.containerId).signal(r.execId, r.signal);
      return empty;
    },
    waitProcess: async (r: agent.WaitProcessRequest) => ({ status: await sandbox.waitProcess(r.containerId, r.execId) }),
    updateContainer: async (r: agent.UpdateContainerRequest) => {
      if (!r.resources) throw new InvalidArgumentError('resources: missing');
      await sandbox.container(r.containerId).update(resourcesFromProto(r.resources));
      return empty;
    },
    statsContainer: async (r: agent.StatsContainerRequest) => statsToProto(sandbox.container(r.containerId).stats()),
    pauseContainer: async (r: agent.PauseContainerRequest) => {
      await sandbox.container(r.containerId).pause();
      return empty;
    },
    resumeContainer: async (r: agent.ResumeContainerRequest) => {
      await sandbox.container(r.containerId).resume();
      return empty;
    },
    listProcesses: async (r: agent.ListProcessesRequest) => {
      const pids = await sandbox.container(r.containerId).pids();
      return { processList: listProcesses(pids, r.format) };
    },
    writeStdin: async (r: agent.WriteStreamRequest) => ({ len: await sandbox.container(r.containerId).process(r.execId).writeStdin(r.data) }),
    readStdout: async (r: agent.ReadStreamRequest, ctx: CallContext) => {
      const proc = sandbox.container(r.containerId).process(r.execId);
      return readAnswer(await proc.stdout.read(readLength(r.len), ctx.signal));
    },
    readStderr: async (r: agent.ReadStreamRequest, ctx: CallContext) => {
      const proc = sandbox.container(r.containerId).process(r.execId);
      if (!proc.stderr) throw new EndOfStreamError(`stderr of ${r.execId || r.containerId} (terminal)`);
      return readAnswer(await proc.stderr.read(readLength(r.len), ctx.signal));
    },
    closeStdin: async (r: agent.CloseStdinRequest) => {
      sandbox.container(r.containerId).process(r.execId).closeStdin();
      return empty;
    },
    ttyWinResize: async (r: agent.TtyWinResizeRequest) => {
      sandbox.container(r.containerId).process(r.execId).resize(r.row, r.column);
      return empty;
    },
    getGuestDetails: async () => ({
      ...sandbox.guestDetails(),
      agentDetails: {
        version: AGENT_VERSION,
        initDaemon: process.pid === 1,
        deviceHandlers: [],
        storageHandlers: ['9p', 'bind', 'local', 'tmpfs'],
        supportsSeccomp: true,
        extraFeatures: [],
      },
    }),
    setGuestDateTime: async (r: agent.SetGuestDateTimeRequest) => {
      await sandbox.setDateTime(r.Sec, r.Usec);
      return empty;
    },
    reseedRandomDev: async (r: agent.ReseedRandomDevRequest) => {
      await sandbox.reseedRandom(r.data);
      return empty;
    },
    getOOMEvent: async (_r: agent.GetOOMEventRequest, ctx: CallContext) => {
      const id = await Promise.race([sandbox.oom.next(), aborted(ctx.signal)]);
      if (id === undefined) throw new NotFoundError('sandbox destroyed: no more OOM events');
      return { containerId: id };
    },
  } satisfies Record<string, Handler<never, unknown>>;

  const wrapped: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers)) wrapped[name] = wrapHandler(log, name, handler as Handler<unknown, unknown>);
  return wrapped as Service;
}

function readLength(len: number): number {
  return Math.min(len || DEFAULT_READ, MAX_READ);
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
