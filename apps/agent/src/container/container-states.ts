import type { StateTable } from '../process/state-machine';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'stopped' | 'removed';
export type ContainerOperation = 'start' | 'exec' | 'pause' | 'resume' | 'update' | 'signal' | 'remove' | 'exit';

/**
 * A container's statuses (its init process's exit is 'exit'). Signals are legal until removal:
 * a kill after exit is a no-op, as Kata's agent has it. An exit arrives after RemoveContainer
 * when the remove killed the init (its exit queues behind the remove), and changes nothing.
 */
export const CONTAINER_STATES: StateTable<ContainerStatus, ContainerOperation> = {
  created: { start: 'running', update: 'created', signal: 'created', remove: 'removed', exit: 'stopped' },
  running: { exec: 'running', pause: 'paused', update: 'running', signal: 'running', remove: 'removed', exit: 'stopped' },
  paused: { resume: 'running', update: 'paused', signal: 'paused', remove: 'removed', exit: 'stopped' },
  stopped: { signal: 'stopped', remove: 'removed' },
  removed: { exit: 'removed' },
};
