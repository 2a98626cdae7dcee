import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QemuHypervisor, type AcceleratorKind, type VmConfig, type VmTemplate } from '@kata-ts/hypervisor';
import { Session } from '@kata-ts/mux';
import { health } from '@kata-ts/protocols';
import { Client, createClient } from '@kata-ts/ttrpc';
import { connectPort } from '@kata-ts/vsock';

export interface BootedGuest {
  vm: QemuHypervisor;
  dir: string;
  consoleLog: string;
  /** performance.now() just before QEMU was spawned. */
  startedAt: number;
  console(): string;
  /** Stops QEMU (QMP quit, then SIGKILL) and removes the sockets and logs. Idempotent. */
  destroy(): Promise<void>;
}

export interface BootOptions {
  kernel: string;
  initrd: string;
  accelerator: AcceleratorKind;
  memoryMiB?: number;
  vcpus?: number;
  /** Resume from (`restore`) or become (`save`) a VM template, as @kata-ts/factory does. */
  template?: VmTemplate;
  /** Appended to the shim's kernel command line (e.g. to trace the boot). */
  kernelParams?: string[];
}

/** The VmConfig bootGuest starts: the shim's flags, sockets and console log in `dir`. */
export function bootConfig(options: BootOptions, dir: string): VmConfig {
  return {
    id: 'boot-check',
    kernel: options.kernel,
    initrd: options.initrd,
    accelerator: options.accelerator,
    vcpus: options.vcpus ?? 1,
    memoryMiB: options.memoryMiB ?? 512,
    agentSocket: join(dir, 'agent.sock'),
    qmpSocket: join(dir, 'qmp.sock'),
    consoleLog: join(dir, 'console.log'),
    template: options.template,
    kernelParams: options.kernelParams,
  };
}

/** Boots kernel + initrd the way the shim does (same library, same flags). */
export async function bootGuest(options: BootOptions): Promise<BootedGuest> {
  const dir = mkdtempSync(join(tmpdir(), 'kata-boot-'));
  const config = bootConfig(options, dir);
  const consoleLog = config.consoleLog!;
  const vm = new QemuHypervisor();
  const startedAt = performance.now();
  let destroyed = false;
  const guest: BootedGuest = {
    vm,
    dir,
    consoleLog,
    startedAt,
    console: () => {
      try {
        return readFileSync(consoleLog, 'utf8');
      } catch {
        return '';
      }
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      if (vm.pid !== undefined) await vm.stop({ timeoutMs: 3000 }).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await vm.start(config);
  } catch (err) {
    await guest.destroy();
    throw err;
  }
  return guest;
}

export interface AgentConnection {
  session: Session;
  client: Client;
  close(): Promise<void>;
}

/**
 * Dials the agent the real way, retrying while the guest boots: QEMU's chardev socket → mux
 * client session → stream to port 1024 → ttrpc client, until grpc.Health/Check says SERVING.
 * Each attempt uses a fresh connection: bytes sent before the guest's mux session is up may be
 * eaten by the guest's port reopen cycle, and a mux stream cannot resynchronise after that. A
 * mux ping answered within PING_MS proves the session is in step before any stream is opened,
 * so a lost attempt costs PING_MS rather than ATTEMPT_MS.
 */
export async function waitForAgent(socketPath: string, timeoutMs: number): Promise<AgentConnection> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < deadline) {
    const attemptMs = Math.min(ATTEMPT_MS, Math.max(100, deadline - performance.now()));
    try {
      return await attempt(socketPath, attemptMs);
    } catch (err) {
      lastError = err;
    }
    await sleep(50);
  }
  throw new Error(`agent not ready within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? 'not serving'}`);
}

const ATTEMPT_MS = 3000;
const PING_MS = 300;

async function attempt(socketPath: string, timeoutMs: number): Promise<AgentConnection> {
  const signal = AbortSignal.timeout(timeoutMs);
  const socket = connect(socketPath);
  socket.on('error', () => {});
  const session = new Session(socket, { role: 'client', keepAliveIntervalMs: false, pingTimeoutMs: PING_MS });
  session.on('error', () => {});
  let client: Client | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    await session.ping();
    client = new Client(await connectPort(session, 1024, { signal }));
    const reply = await createClient(health.HealthDefinition, client).check({ service: '' }, { signal });
    if (reply.status !== health.HealthCheckResponse_ServingStatus.SERVING) throw new Error(`health status ${reply.status}`);
    const connected = client;
    return {
      session,
      client: connected,
      close: async () => {
        await connected.close().catch(() => {});
        session.destroy();
        socket.destroy();
      },
    };
  } catch (err) {
    await client?.close().catch(() => {});
    session.destroy();
    socket.destroy();
    throw err;
  }
}

/** Waits until the console shows `pattern` or the time is up. */
export async function waitForConsole(guest: BootedGuest, pattern: RegExp, timeoutMs: number): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const match = pattern.exec(guest.console());
    if (match) return match[0];
    await sleep(50);
  }
  return undefined;
}
