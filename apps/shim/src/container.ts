import { AlreadyExistsError, NotFoundError } from '@kata-ts/errors';
import type { ExecProcess } from './process/exec-process';
import type { InitProcess } from './process/init-process';
import type { TaskProcess } from './process/task-process';

/** One containerd task: its init process and its execs. The pod owns the map of these. */
export class Container {
  readonly #execs = new Map<string, ExecProcess>();

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly init: InitProcess,
    /** True for the container that created the sandbox: deleting it stops the VM. */
    readonly isSandbox: boolean,
  ) {}

  process(execId: string): TaskProcess {
    if (!execId) return this.init;
    const p = this.#execs.get(execId);
    if (!p) throw new NotFoundError(`exec ${execId} of ${this.id}: not found`);
    return p;
  }

  addExec(exec: ExecProcess): void {
    if (this.#execs.has(exec.execId)) throw new AlreadyExistsError(`exec ${exec.execId} of ${this.id}: already exists`);
    this.#execs.set(exec.execId, exec);
  }

  removeExec(execId: string): void {
    this.#execs.delete(execId);
  }

  get execs(): ExecProcess[] {
    return [...this.#execs.values()];
  }

  get processes(): TaskProcess[] {
    return [this.init, ...this.#execs.values()];
  }
}
