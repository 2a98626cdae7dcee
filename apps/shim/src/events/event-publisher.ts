import { spawn } from 'node:child_process';
import type { Logger } from '@kata-ts/logging';
import { eventsService, google, packAny, type MessageCodec } from '@kata-ts/protocols';
import { Client, createClient, type TypedClient } from '@kata-ts/ttrpc';
import { toTimestamp } from '../timestamp';

export const NAMESPACE_METADATA_KEY = 'containerd-namespace-ttrpc';
const ATTEMPTS = 5;
const TIMEOUT_MS = 5_000;

export interface EventPublisherOptions {
  namespace: string;
  /** containerd's ttrpc socket (TTRPC_ADDRESS); preferred. */
  ttrpcAddress?: string;
  /** Legacy: `<publish-binary> --address <address> publish --topic T --namespace N` with the Any on stdin. */
  publishBinary?: string;
  containerdAddress?: string;
  log: Logger;
}

type Events = TypedClient<typeof eventsService.EventsDefinition>;

/**
 * Publishes task events to containerd in the order they were queued: one consumer drains one
 * queue, so /tasks/create → start → exit → delete can never overtake each other. Failures are
 * logged and retried (5 × 5 s like containerd's shims), never thrown at the task's caller.
 */
export class EventPublisher {
  readonly #options: EventPublisherOptions;
  #tail: Promise<void> = Promise.resolve();
  #client: Promise<{ raw: Client; events: Events }> | undefined;

  constructor(options: EventPublisherOptions) {
    this.#options = options;
  }

  publish<T>(topic: string, type: MessageCodec<T>, event: T): void {
    const envelope = { timestamp: toTimestamp(new Date()), namespace: this.#options.namespace, topic, event: packAny(type, event) };
    this.#options.log.debug({ topic, event }, 'publish event');
    this.#tail = this.#tail.then(() => this.#send(envelope));
  }

  /** Resolves once everything queued so far has been sent (or given up on). */
  flush(): Promise<void> {
    return this.#tail;
  }

  async close(): Promise<void> {
    await this.flush();
    const client = await this.#client?.catch(() => undefined);
    await client?.raw.close();
    this.#client = undefined;
  }

  async #send(envelope: { timestamp: google.Timestamp; namespace: string; topic: string; event: google.Any }): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        if (this.#options.ttrpcAddress) await this.#forward(envelope);
        else if (this.#options.publishBinary) await this.#exec(envelope);
        return;
      } catch (err) {
        this.#options.log.warn({ err, topic: envelope.topic, attempt }, 'publishing event failed');
        this.#client = undefined;
        if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
    this.#options.log.error({ topic: envelope.topic }, 'event dropped after retries');
  }

  async #forward(envelope: { timestamp: google.Timestamp; namespace: string; topic: string; event: google.Any }): Promise<void> {
    this.#client ??= Client.connect(this.#options.ttrpcAddress!, {
      metadata: { [NAMESPACE_METADATA_KEY]: this.#options.namespace },
      logger: this.#options.log,
    }).then((raw) => ({ raw, events: createClient(eventsService.EventsDefinition, raw) }));
    const { events } = await this.#client;
    await events.forward({ envelope }, { timeoutMs: TIMEOUT_MS });
  }

  #exec(envelope: { namespace: string; topic: string; event: google.Any }): Promise<void> {
    const { publishBinary, containerdAddress } = this.#options;
    const args = ['--address', containerdAddress ?? '', 'publish', '--topic', envelope.topic, '--namespace', envelope.namespace];
    return new Promise((resolve, reject) => {
      const child = spawn(publishBinary!, args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`publish exited ${code}: ${stderr.trim()}`))));
      child.stdin!.end(Buffer.from(google.Any.encode(envelope.event).finish()));
    });
  }
}
