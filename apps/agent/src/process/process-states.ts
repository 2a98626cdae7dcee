import type { StateTable } from './state-machine';

export type ProcessStatus = 'created' | 'running' | 'stopped' | 'deleted';
export type ProcessOperation = 'start' | 'signal' | 'resize' | 'exit' | 'delete';

/**
 * After the exit, signals and resizes are no-ops, not errors: the shim forwards them as they
 * come, and a kill after exit must not fail `ctr`. Deleting (dropping the agent's stdio ends and
 * files) waits for the exit, as in containerd's runc shim; a deleted process allows nothing.
 */
const STOPPED = { signal: 'stopped', resize: 'stopped', delete: 'deleted' } as const;

/** The init process: `crun create` makes it, StartContainer starts it. Pausing is the container's. */
export const INIT_STATES: StateTable<ProcessStatus, ProcessOperation> = {
  created: { start: 'running', signal: 'created', resize: 'created', exit: 'stopped' },
  running: { signal: 'running', resize: 'running', exit: 'stopped' },
  stopped: STOPPED,
};

/** An exec: ExecProcess creates and starts it in one step (`crun exec -d`), so it is born running. */
export const EXEC_STATES: StateTable<ProcessStatus, ProcessOperation> = {
  running: { signal: 'running', resize: 'running', exit: 'stopped' },
  stopped: STOPPED,
};
