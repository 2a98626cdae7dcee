import { FailedPreconditionError, NotFoundError } from '@kata-ts/errors';

export type ProcessStatus = 'created' | 'running' | 'paused' | 'stopped' | 'deleted';
export type ProcessOperation = 'start' | 'kill' | 'pause' | 'resume' | 'delete' | 'resize' | 'closeIO' | 'exit';

/**
 * One class per state (as runc's shim does). Each says which operations are legal and where they
 * lead; the process asks its state before doing any work, so an illegal call fails with a
 * readable FailedPrecondition naming the state and changes nothing.
 */
export abstract class ProcessState {
  abstract readonly status: ProcessStatus;
  /** Operation → next status; operations missing here are illegal in this state. */
  protected abstract readonly next: Partial<Record<ProcessOperation, ProcessStatus>>;

  /** The status after `op`; throws if `op` is illegal now. */
  transition(op: ProcessOperation, what: string): ProcessStatus {
    const to = this.next[op];
    if (to === undefined) throw this.illegal(op, what);
    return to;
  }

  protected illegal(op: ProcessOperation, what: string): Error {
    return new FailedPreconditionError(`cannot ${op} ${what}: process is ${this.status}`);
  }
}

class CreatedState extends ProcessState {
  readonly status = 'created';
  protected readonly next = { start: 'running', kill: 'created', delete: 'deleted', exit: 'stopped', resize: 'created', closeIO: 'created' } as const;
}

class RunningState extends ProcessState {
  readonly status = 'running';
  protected readonly next = { kill: 'running', pause: 'paused', exit: 'stopped', resize: 'running', closeIO: 'running' } as const;
}

class PausedState extends ProcessState {
  readonly status = 'paused';
  protected readonly next = { kill: 'paused', resume: 'running', exit: 'stopped', closeIO: 'paused' } as const;
}

/** Kill of a stopped process is a no-op (Kata: SIGKILL/SIGTERM after exit must not fail `ctr`). */
class StoppedState extends ProcessState {
  readonly status = 'stopped';
  protected readonly next = { kill: 'stopped', delete: 'deleted', closeIO: 'stopped', resize: 'stopped' } as const;
}

class DeletedState extends ProcessState {
  readonly status = 'deleted';
  protected readonly next = {};
  protected override illegal(_op: ProcessOperation, what: string): Error {
    return new NotFoundError(`${what} (deleted): not found`);
  }
}

export const STATES: Record<ProcessStatus, ProcessState> = {
  created: new CreatedState(),
  running: new RunningState(),
  paused: new PausedState(),
  stopped: new StoppedState(),
  deleted: new DeletedState(),
};
