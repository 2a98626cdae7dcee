import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { MonitoredProcess } from './process-monitor';

/** A pid no process has (above any pid_max): signals to it fail with ESRCH, harmlessly. */
const NO_SUCH_PID = 2 ** 30;

/** For unit tests: a monitored process without a monitor; `exit` reports its exit. */
export function fakeMonitored(): { monitored: MonitoredProcess; exit: (status: number) => void } {
  let exit!: (status: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const [stdin, stdout, stderr] = [new PassThrough(), new PassThrough(), new PassThrough()];
  void exited.then(() => [stdout, stderr].forEach((s) => s.end()));
  const socket = (s: PassThrough) => s as unknown as Socket;
  return {
    monitored: { pid: NO_SUCH_PID, stdin: socket(stdin), stdout: socket(stdout), stderr: socket(stderr), exited, resize: () => true },
    exit,
  };
}
