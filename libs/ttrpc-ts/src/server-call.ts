import { AsyncQueue } from './async-queue';
import type { ByteBudget } from './byte-budget';
import { MAX_TIMER_MS } from './call-guard';
import type { Metadata } from './metadata';
import type { MethodDefinition } from './service-definition';
import type { CallContext } from './service-implementation';

/** A registered handler, typed loosely once the definition has checked it. */
export type Handler = (input: unknown, ctx: CallContext) => unknown;

export interface RegisteredMethod {
  readonly definition: MethodDefinition;
  readonly handler: Handler;
}

/**
 * One in-flight request on a server connection: its context, deadline timer and inbound
 * messages. The AbortController is made only when a handler reads `ctx.signal`: most handlers
 * never do, and it was a visible share of a small call's cost.
 */
export class ServerCall {
  readonly id: number;
  readonly method: RegisteredMethod;
  readonly context: CallContext;
  /** Inbound messages for client-streaming methods; undefined otherwise. */
  readonly inbox: AsyncQueue<unknown> | undefined;
  #controller: AbortController | undefined;
  #reason: unknown;
  #timer: NodeJS.Timeout | undefined;
  #finished = false;

  /** `budget`: the connection's, for messages the handler has not read yet. */
  constructor(id: number, method: RegisteredMethod, service: string, metadata: Metadata, timeoutMs: number, budget: ByteBudget) {
    this.id = id;
    this.method = method;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context's getter reads this call
    const call = this;
    this.context = {
      service,
      method: method.definition.name,
      metadata,
      deadline: timeoutMs > 0 ? Date.now() + timeoutMs : undefined,
      get signal() {
        return call.#signal();
      },
    };
    this.inbox = method.definition.requestStream ? new AsyncQueue({ budget }) : undefined;
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(() => this.#signalAbort(new DOMException('deadline exceeded', 'TimeoutError')), timeoutMs);
    }
  }

  #signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Marks the call answered; returns false if it already was (the caller must not answer again). */
  finish(): boolean {
    if (this.#finished) return false;
    this.#finished = true;
    clearTimeout(this.#timer);
    return true;
  }

  /** Ends the call without an answer from its handler: connection gone or protocol error. */
  abort(reason: Error): void {
    this.finish();
    this.#signalAbort(reason);
    this.inbox?.discard(reason);
  }

  /** The handler is done: what it left unread is dropped. */
  settle(): void {
    void this.inbox?.return();
  }

  #signalAbort(reason: unknown): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
