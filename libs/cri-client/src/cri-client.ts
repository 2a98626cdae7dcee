import { Client, credentials, status } from '@grpc/grpc-js';
import { cri } from '@kata-ts/protocols';
import { CriError } from './cri-error';
import { createUnaryClient, type UnaryClient } from './unary-client';

export interface CriClientOptions {
  /** Default deadline of every call (default 60 s: a kata pod boots a VM inside RunPodSandbox). */
  timeoutMs?: number;
  /** How long `connect` waits for the socket to accept (default 10 s). */
  connectTimeoutMs?: number;
}

export type RuntimeServiceClient = UnaryClient<typeof cri.RuntimeServiceDefinition>;
export type ImageServiceClient = UnaryClient<typeof cri.ImageServiceDefinition>;

/** containerd answers ExecSync with up to 16 MiB per stream (CVE-2022-1708 cap); grpc-js defaults to 4 MiB. */
const MAX_MESSAGE_BYTES = 40 << 20;

/** Turns `/run/containerd/containerd.sock`, `unix:///...` or `unix:/...` into a grpc-js target. */
export function criTarget(address: string): string {
  if (address.startsWith('unix:')) return address;
  if (address.startsWith('/')) return `unix://${address}`;
  throw new CriError('connect', status.INVALID_ARGUMENT, `not a unix socket address: ${address}`);
}

/**
 * A Kubernetes CRI client (runtime.v1) for a containerd CRI plugin, over grpc-js on a unix socket.
 * `runtime` and `image` hold one promise-returning method per rpc (`runtime.runPodSandbox({...})`).
 */
export class CriClient {
  readonly runtime: RuntimeServiceClient;
  readonly image: ImageServiceClient;
  readonly #client: Client;

  private constructor(client: Client, timeoutMs: number) {
    this.#client = client;
    this.runtime = createUnaryClient(cri.RuntimeServiceDefinition, client, timeoutMs);
    this.image = createUnaryClient(cri.ImageServiceDefinition, client, timeoutMs);
  }

  /** Connects to containerd's socket and waits until the channel is ready (UNAVAILABLE if not). */
  static async connect(address: string, options: CriClientOptions = {}): Promise<CriClient> {
    const client = new Client(criTarget(address), credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    const deadline = Date.now() + (options.connectTimeoutMs ?? 10_000);
    try {
      await new Promise<void>((resolve, reject) => client.waitForReady(deadline, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      client.close();
      throw new CriError('connect', status.UNAVAILABLE, `${address}: ${(err as Error).message}`);
    }
    return new CriClient(client, options.timeoutMs ?? 60_000);
  }

  close(): void {
    this.#client.close();
  }
}
