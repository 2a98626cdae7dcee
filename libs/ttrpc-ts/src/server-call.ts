import { AsyncQueue } from './async-queue';
import { MAX_TIMER_MS } from './call-guard';
import type { MethodDefinition } from './service-definition';
import type { CallContext } from './service-implementation';

/** A registered handler, typed loosely once the definition has checked it. */
export type Handler = (input: unknown, ctx: CallContext) => unknown;

export interface RegisteredMethod {
  readonly definition: MethodDefinition;
  readonly handler: Handler;
}

/** One in-flight request on a server connection: its abort signal, deadline timer and inbound messages. */
export class ServerCall {
  readonly id: number;
  readonly method: RegisteredMethod;
  readonly context: CallContext;
  /** Inbound messages for client-streaming methods; undefined otherwise. */
  readonly inbox: AsyncQueue<unknown> | undefined;
  #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #finished = false;

  constructor(id: number, method: RegisteredMethod, context: Omit<CallContext, 'signal'>, timeoutMs: number) {
    this.id = id;
    this.method = method;
    this.context = { ...context, signal: this.#abort.signal };
    this.inbox = method.definition.requestStream ? new AsyncQueue() : undefined;
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      this.#timer = setTimeout(() => this.#abort.abort(new DOMException('deadline exceeded', 'TimeoutError')), timeoutMs);
    }
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
    this.#abort.abort(reason);
    this.inbox?.fail(reason);
  }
}
