/**
 * The ttrpc status the agent answers a ReadStdout/ReadStderr with once the stream has ended (as
 * Kata's agent does): the reader's end of stream, not a failure. Any other status is an error.
 */
export const END_OF_STREAM_STATUS = 'OUT_OF_RANGE';

/** Whether an error carries the end-of-stream status (ttrpc errors expose `codeName`). */
export function isEndOfStream(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { codeName?: unknown }).codeName === END_OF_STREAM_STATUS;
}
