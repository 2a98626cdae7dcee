import type { StdioPaths } from '../stdio/process-io';
import type { OciSpec } from '@kata-ts/oci';
import { TaskProcess, type ProcessHost } from './task-process';

/** Seconds the agent gets to kill a container's processes on delete. */
const REMOVE_TIMEOUT_S = 10;

/** A container's first process: created with the container, its exit stops the task. */
export class InitProcess extends TaskProcess {
  private constructor(containerId: string, stdio: StdioPaths, host: ProcessHost) {
    // The agent knows the init process by the container id (Kata's CreateContainerRequest.exec_id).
    super(containerId, '', containerId, stdio, host);
  }

  /** Creates the container in the guest (not started) and connects its stdio. */
  static async create(
    containerId: string,
    spec: OciSpec,
    stdio: StdioPaths,
    host: ProcessHost,
    options: { timeoutMs: number; sandboxPidns: boolean },
  ): Promise<InitProcess> {
    const init = new InitProcess(containerId, stdio, host);
    await host.agent.createContainer(containerId, containerId, spec, options);
    try {
      await init.attachIo();
    } catch (err) {
      await host.agent.removeContainer(containerId, REMOVE_TIMEOUT_S).catch(() => undefined);
      throw err;
    }
    return init;
  }

  pause(): Promise<void> {
    return this.transitionTo('pause', () => this.host.agent.pauseContainer(this.containerId));
  }

  resume(): Promise<void> {
    return this.transitionTo('resume', () => this.host.agent.resumeContainer(this.containerId));
  }

  protected doStart(): Promise<void> {
    return this.host.agent.startContainer(this.containerId);
  }

  /** Removes the container from the guest; a stopped or dead sandbox has nothing left to remove. */
  protected async doDelete(): Promise<void> {
    await this.host.agent.removeContainer(this.containerId, REMOVE_TIMEOUT_S).catch((err: unknown) => {
      this.host.log.debug({ err: (err as Error).message }, 'RemoveContainer failed (sandbox gone)');
    });
  }
}
