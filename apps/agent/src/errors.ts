import { InternalError, StatusError } from '@kata-ts/errors';
import { END_OF_STREAM_STATUS } from '@kata-ts/guest-contract';

// The agent's own errors; the others are @kata-ts/errors' status classes. rpc/wrap-handler.ts
// answers each with the status its code names.

/** A drained output stream: ReadStdout/ReadStderr answer the contract's end-of-stream status. */
export class EndOfStreamError extends StatusError {
  constructor(what: string) {
    super(END_OF_STREAM_STATUS, `EOF: ${what}`);
  }
}

/** A host command (crun, mount, ...) failed; the message carries its own words. */
export class CommandError extends InternalError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    detail: string,
  ) {
    super(`${command} failed (exit ${exitCode ?? 'signal'}): ${detail.trim() || 'no output'}`);
  }
}
