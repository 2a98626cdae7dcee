import type { Logger } from '@kata-ts/logging';

/**
 * The phases of one container's start (VM started, agent ready, container created, started), as
 * info lines a user can read: each says how long its own phase took (`phaseMs`, since the mark
 * before it) and how long since the Create request (`sinceCreateMs`). bench/ctr-run.bench.ts
 * reads these fields to say where a start's time goes.
 */
export class PhaseClock {
  readonly #created = performance.now();
  #last = this.#created;

  constructor(private readonly log: Logger) {}

  mark(msg: string, fields: Record<string, unknown> = {}): void {
    const now = performance.now();
    this.log.info({ ...fields, phaseMs: Math.round(now - this.#last), sinceCreateMs: Math.round(now - this.#created) }, msg);
    this.#last = now;
  }
}
