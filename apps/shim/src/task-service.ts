import type { Logger } from '@kata-ts/logging';
import { runtimeoptions, task, unpackAnyAs, type google } from '@kata-ts/protocols';
import type { CallContext, ServiceImplementation } from '@kata-ts/ttrpc';
import { InvalidArgumentError, UnimplementedError } from '@kata-ts/errors';
import { toTtrpcError } from './to-ttrpc-error';
import type { Pod } from './pod';
import { toTimestamp } from './timestamp';
import { ociProcessFromAny, ociResourcesFromAny } from '@kata-ts/oci';

export const SHIM_VERSION = '0.1.0';
type Service = ServiceImplementation<typeof task.TaskDefinition>;
type Handler = (request: never, ctx: CallContext) => Promise<unknown>;

/** runtimeoptions.v1.Options.config_path, if the Any carries that type. */
export function configPathOf(options: google.Any | undefined): string | undefined {
  if (!options?.typeUrl.endsWith(runtimeoptions.Options.$type)) return undefined;
  return unpackAnyAs(runtimeoptions.Options, options).configPath || undefined;
}

/**
 * containerd.task.v2.Task: each handler turns the request into a Pod call and the result into
 * the response; errors map to ttrpc codes in one place (toTtrpcError).
 */
export function taskService(pod: Pod, log: Logger, onShutdown: () => void): Service {
  const handlers = {
    create: async (r: task.CreateTaskRequest) => {
      if (r.checkpoint) throw new UnimplementedError('checkpoint restore: not implemented by kata-ts');
      const pid = await pod.create({
        id: r.id,
        bundle: r.bundle,
        rootfs: r.rootfs,
        terminal: r.terminal,
        stdin: r.stdin,
        stdout: r.stdout,
        stderr: r.stderr,
        configPath: configPathOf(r.options),
      });
      return { pid };
    },
    start: async (r: task.StartRequest) => ({ pid: await pod.start(r.id, r.execId) }),
    delete: async (r: task.DeleteRequest) => {
      const { pid, exit } = await pod.delete(r.id, r.execId);
      return { pid, exitStatus: exit.status, exitedAt: toTimestamp(exit.at) };
    },
    exec: async (r: task.ExecProcessRequest) => {
      if (!r.spec) throw new InvalidArgumentError('exec: missing process spec');
      const spec = ociProcessFromAny(r.spec);
      await pod.exec(r.id, r.execId, spec, { terminal: r.terminal, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr });
      return {};
    },
    resizePty: async (r: task.ResizePtyRequest) => {
      await pod.container(r.id).process(r.execId).resize(r.width, r.height);
      return {};
    },
    state: async (r: task.StateRequest) => {
      const s = pod.state(r.id, r.execId);
      return {
        id: r.execId || r.id,
        bundle: s.bundle,
        pid: s.pid,
        status: s.status,
        stdin: s.stdio.stdin,
        stdout: s.stdio.stdout,
        stderr: s.stdio.stderr,
        terminal: s.stdio.terminal,
        exitStatus: s.exit?.status ?? 0,
        exitedAt: s.exit ? toTimestamp(s.exit.at) : undefined,
        execId: r.execId,
      };
    },
    pids: async (r: task.PidsRequest) => ({ processes: (await pod.pids(r.id)).map((pid) => ({ pid, info: undefined })) }),
    pause: async (r: task.PauseRequest) => {
      await pod.pause(r.id);
      return {};
    },
    resume: async (r: task.ResumeRequest) => {
      await pod.resume(r.id);
      return {};
    },
    checkpoint: async () => {
      throw new UnimplementedError('checkpoint: not implemented by kata-ts');
    },
    kill: async (r: task.KillRequest) => {
      await pod.kill(r.id, r.execId, r.signal, r.all);
      return {};
    },
    closeIO: async (r: task.CloseIORequest) => {
      if (r.stdin) await pod.container(r.id).process(r.execId).closeIO();
      return {};
    },
    update: async (r: task.UpdateTaskRequest) => {
      if (!r.resources) throw new InvalidArgumentError('update: missing resources');
      await pod.update(r.id, ociResourcesFromAny(r.resources));
      return {};
    },
    wait: async (r: task.WaitRequest) => {
      const exit = await pod.container(r.id).process(r.execId).wait();
      return { exitStatus: exit.status, exitedAt: toTimestamp(exit.at) };
    },
    stats: async (r: task.StatsRequest) => ({ stats: await pod.stats(r.id) }),
    connect: async (r: task.ConnectRequest) => {
      pod.container(r.id);
      return { shimPid: process.pid, taskPid: pod.sandbox?.pid ?? 0, version: SHIM_VERSION };
    },
    shutdown: async () => {
      if (pod.containerCount > 0) return {};
      await pod.shutdown();
      onShutdown();
      return {};
    },
  } satisfies Record<string, Handler>;

  const wrapped: Record<string, unknown> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    wrapped[name] = async (request: unknown, ctx: CallContext) => {
      log.debug({ method: name, request }, 'task call');
      try {
        return await (handler as (r: unknown, c: CallContext) => Promise<unknown>)(request, ctx);
      } catch (err) {
        const mapped = toTtrpcError(err);
        log.warn({ method: name, code: mapped.codeName, err: mapped.message }, 'task call failed');
        throw mapped;
      }
    };
  }
  return wrapped as Service;
}
