import { FailedPreconditionError } from '@kata-ts/errors';

/**
 * A state machine as data: status → operation → next status. An operation missing from a
 * status's row (or a status without a row) is illegal there.
 */
export type StateTable<S extends string, Op extends string> = Readonly<Partial<Record<S, Partial<Record<Op, S>>>>>;

/**
 * One object's status under a StateTable (the host shim's process-states pattern). An illegal
 * operation throws a FailedPrecondition naming the operation, the object and its status, and
 * changes nothing. `run` also serialises: each operation starts after the previous one settled.
 */
export class StateMachine<S extends string, Op extends string> {
  #status: S;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly table: StateTable<S, Op>,
    initial: S,
    /** Names the object in errors: "container c1". */
    private readonly what: string,
  ) {
    this.#status = initial;
  }

  get status(): S {
    return this.#status;
  }

  /** Throws unless `op` is legal now. */
  check(op: Op): void {
    if (this.#next(this.#status, op) !== undefined) return;
    const legal = (Object.keys(this.table) as S[]).filter((s) => this.#next(s, op) !== undefined);
    const expected = legal.length ? `, not ${legal.join(' or ')}` : '';
    throw new FailedPreconditionError(`cannot ${op}: ${this.what} is ${this.#status}${expected}`);
  }

  /** A synchronous transition: checks `op` and moves on. */
  apply(op: Op): S {
    this.check(op);
    return (this.#status = this.#next(this.#status, op)!);
  }

  /**
   * Runs `work` for `op` once every earlier `run` has settled and if `op` is legal then; moves
   * to the next status only if the work succeeded.
   */
  run<T>(op: Op, work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(async () => {
      this.check(op);
      const value = await work();
      this.apply(op);
      return value;
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #next(from: S, op: Op): S | undefined {
    return this.table[from]?.[op];
  }
}
