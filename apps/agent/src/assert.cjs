// Node's `assert` for the bundle's dependencies (pino's sonic-boom and thread-stream call only
// assert(value, message)). Node's own module, when loaded, creates process.stderr to decide on
// colours: on the guest's console that is a tty.WriteStream, ~50 ms of the agent's start under TCG.
/* global module */
'use strict';

class AssertionError extends Error {
  name = 'AssertionError';
  code = 'ERR_ASSERTION';
}

module.exports = function assert(value, message) {
  if (!value) throw new AssertionError(message ?? 'assertion failed');
};
