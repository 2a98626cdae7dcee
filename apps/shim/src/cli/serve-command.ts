import { chmodSync, closeSync, rmSync, writeSync } from 'node:fs';
import { task } from '@kata-ts/protocols';
import { Server } from '@kata-ts/ttrpc';
import { EventPublisher } from '../events/event-publisher';
import { Pod } from '../pod';
import { Sandbox } from '../sandbox/sandbox';
import { taskService } from '../task-service';
import { shimLogger } from './shim-logger';
import type { ShimArgs } from './shim-args';

/** How long exit lets connections finish their calls before closing them. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * The long-lived shim (what `start` spawns): serves containerd.task.v2.Task on `-socket` until
 * Shutdown with no containers left, or SIGTERM.
 */
export async function serveCommand(args: ShimArgs): Promise<void> {
  const bundle = process.cwd();
  const log = shimLogger(bundle, { sandbox: args.id, ns: args.namespace }, args.debug);
  if (!args.socket) throw new Error('serve: -socket is required (the shim is started by `start`)');
  const events = new EventPublisher({
    namespace: args.namespace,
    ttrpcAddress: process.env.TTRPC_ADDRESS,
    publishBinary: args.publishBinary,
    containerdAddress: args.address,
    log,
  });
  const pod = new Pod({
    namespace: args.namespace,
    events,
    createSandbox: (o) => Sandbox.create(o),
    log,
    startConfigPath: process.env.KATA_TS_START_CONFIG_PATH,
    binaryPath: process.argv[1],
  });
  const server = new Server({ logger: log });
  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await pod.shutdown().catch((err: unknown) => log.error({ err }, 'shutdown failed'));
    await events.close().catch(() => undefined);
    // Graceful for a moment (the Shutdown reply goes out), then closed: a client that does not
    // read its replies must not keep the shim alive.
    await Promise.race([server.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
    await server.close().catch(() => undefined);
    rmSync(args.socket, { force: true });
    log.info({ code }, 'shim exiting');
    process.exit(code);
  };
  // Reply to Shutdown first, then exit.
  server.register(task.TaskDefinition, taskService(pod, log, () => setImmediate(() => void exit(0))));
  rmSync(args.socket, { force: true });
  await server.listen(args.socket);
  chmodSync(args.socket, 0o600);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void exit(0));
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  log.info({ socket: args.socket, pid: process.pid }, 'shim serving');
  const readyFd = Number(process.env.KATA_TS_READY_FD);
  if (readyFd > 2) {
    writeSync(readyFd, 'ready\n');
    closeSync(readyFd);
  }
}
