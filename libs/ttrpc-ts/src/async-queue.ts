interface Waiter<T> {
  resolve: (result: IteratorResult<T>) => void;
  reject: (err: Error) => void;
}

/**
 * An unbounded push → pull queue exposed as an async iterator: frames arrive from the socket,
 * handlers and callers consume with `for await`. `onReturn` runs when the consumer stops early.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  #waiter: Waiter<T> | undefined;
  #done = false;
  #error: Error | undefined;
  readonly #onReturn: (() => void) | undefined;

  constructor(onReturn?: () => void) {
    this.#onReturn = onReturn;
  }

  get ended(): boolean {
    return this.#done || this.#error !== undefined;
  }

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
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

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head++] = undefined as T;
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
    this.#items = [];
    this.#head = 0;
    if (!wasEnded) this.#onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    if (this.#error) waiter.reject(this.#error);
    else waiter.resolve({ value: undefined, done: true });
  }
}
