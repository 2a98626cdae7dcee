import type { ByteBudget } from './byte-budget';

interface Waiter<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (err: Error) => void;
}

interface Entry<T> {
  value: T;
  bytes: number;
}

/**
 * A push → pull queue exposed as an async iterator: frames arrive from the socket, handlers and
 * callers consume with `for await`. What waits for its consumer is charged to `budget` (the
 * connection's), and a push it cannot afford is refused. `onReturn` runs when the consumer stops
 * early.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  #items: Array<Entry<T> | undefined> = [];
  #head = 0;
  #waiter: Waiter<T> | undefined;
  #done = false;
  #error: Error | undefined;
  readonly #onReturn: (() => void) | undefined;
  readonly #budget: ByteBudget | undefined;

  constructor(options: { onReturn?: () => void; budget?: ByteBudget } = {}) {
    this.#onReturn = options.onReturn;
    this.#budget = options.budget;
  }

  get ended(): boolean {
    return this.#done || this.#error !== undefined;
  }

  /**
   * Hands `item` (`bytes` long on the wire) to the waiting consumer, or buffers it; false when
   * buffering it would pass the budget (nothing is buffered then). Ignored once ended.
   */
  push(item: T, bytes = 0): boolean {
    if (this.ended) return true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.#budget && !this.#budget.take(bytes)) return false;
    this.#items.push({ value: item, bytes });
    return true;
  }

  /** No more items: the consumer gets the buffered ones, then done. */
  end(): void {
    if (this.ended) return;
    this.#done = true;
    this.#settleWaiter();
  }

  /** The consumer gets the buffered items, then this error. */
  fail(err: Error): void {
    if (this.ended) return;
    this.#error = err;
    this.#settleWaiter();
  }

  /** The consumer gets this error at once; the buffered items are dropped (and their bytes freed). */
  discard(err: Error): void {
    this.fail(err);
    this.#drop();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const { value, bytes } = this.#items[this.#head] as Entry<T>;
      this.#items[this.#head++] = undefined;
      this.#budget?.give(bytes);
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    const wasEnded = this.ended;
    this.#done = true;
    this.#drop();
    if (!wasEnded) this.#onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #drop(): void {
    for (let i = this.#head; i < this.#items.length; i++) this.#budget?.give((this.#items[i] as Entry<T>).bytes);
    this.#items = [];
    this.#head = 0;
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    if (this.#error) waiter.reject(this.#error);
    else waiter.resolve({ value: undefined, done: true });
  }
}
