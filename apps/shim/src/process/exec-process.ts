import type { StdioPaths } from '../stdio/process-io';
import type { OciProcess } from '@kata-ts/oci';
import { TaskProcess, type ProcessHost } from './task-process';

/** An extra process in a running container (`ctr task exec`): exists in the guest from Start on. */
export class ExecProcess extends TaskProcess {
  constructor(
    containerId: string,
    execId: string,
    readonly spec: OciProcess,
    stdio: StdioPaths,
    host: ProcessHost,
  ) {
    super(containerId, execId, execId, stdio, host);
  }

  protected async doStart(): Promise<void> {
    await this.host.agent.execProcess(this.containerId, this.execId, { ...this.spec, terminal: this.stdio.terminal });
    await this.attachIo();
  }

  /** The agent drops an exec's record when it exits; nothing to remove. */
  protected async doDelete(): Promise<void> {}
}
