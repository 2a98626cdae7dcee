import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '@kata-ts/errors';
import { CommandError } from '../errors';

export interface CrunOptions {
  /** The crun binary. */
  binary: string;
  /** crun's state directory (--root). */
  root: string;
}

/**
 * crun's words for a user. crun says "executable file `X` not found in $PATH" even of a path
 * (`/bin/app`, `./app`), which it never looks up in $PATH: say what is wrong with that path, as
 * runc does ("no such file or directory").
 */
export function crunWords(message: string): string {
  return message.replace(/executable file `([^`]*\/[^`]*)` not found in \$PATH(?:: ([^;\n]*))?/g, (_all, path: string, cause = 'No such file or directory') => {
    if (/no such file/i.test(cause)) return `executable file \`${path}\` does not exist`;
    if (/permission denied|not permitted/i.test(cause)) return `executable file \`${path}\` is not executable`;
    return `executable file \`${path}\` cannot be executed: ${cause}`;
  });
}

export interface CrunState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

/**
 * crun, the jail: namespaces, pivot_root, mounts, masked/readonly paths, capabilities,
 * rlimits, user, no_new_privs, seccomp and cgroup placement. The agent decides the plan
 * (config.json) and crun carries it out. `create` and `exec` run under the process monitor
 * (they must be re-parented to it); everything else runs here.
 */
export class Crun {
  constructor(readonly options: CrunOptions) {}

  /** Arguments for a monitored `crun create`; the monitor executes them. */
  createArgs(id: string, bundle: string, pidFile: string, log: string, consoleSocket?: string): string[] {
    return [
      ...this.#global(log),
      'create',
      `--bundle=${bundle}`,
      `--pid-file=${pidFile}`,
      ...(consoleSocket ? [`--console-socket=${consoleSocket}`] : []),
      id,
    ];
  }

  /** Arguments for a monitored, detached `crun exec` of a process.json. */
  execArgs(id: string, processJson: string, pidFile: string, log: string, consoleSocket?: string): string[] {
    return [
      ...this.#global(log),
      'exec',
      '--detach',
      `--process=${processJson}`,
      `--pid-file=${pidFile}`,
      ...(consoleSocket ? [`--console-socket=${consoleSocket}`] : []),
      id,
    ];
  }

  start(id: string): Promise<string> {
    return this.#run(id, 'start', id);
  }

  kill(id: string, signal: number, all = false): Promise<string> {
    return this.#run(id, 'kill', ...(all ? ['--all'] : []), id, String(signal));
  }

  pause(id: string): Promise<string> {
    return this.#run(id, 'pause', id);
  }

  resume(id: string): Promise<string> {
    return this.#run(id, 'resume', id);
  }

  delete(id: string, force: boolean): Promise<string> {
    return this.#run(id, 'delete', ...(force ? ['--force'] : []), id);
  }

  update(id: string, resourcesJson: string): Promise<string> {
    return this.#run(id, 'update', `--resources=${resourcesJson}`, id);
  }

  async state(id: string): Promise<CrunState> {
    return JSON.parse(await this.#run(id, 'state', id)) as CrunState;
  }

  /** Host pids of every process in the container's cgroup. */
  async pids(id: string): Promise<number[]> {
    return JSON.parse(await this.#run(id, 'ps', '--format=json', id)) as number[];
  }

  /**
   * Runs `crun <args>` on container `id`. A failure is NotFound when crun holds no state for `id`
   * (`<root>/<id>/status`, which every crun command reads first), whatever crun's words; any
   * other failure is a CommandError with them.
   */
  #run(id: string, ...args: string[]): Promise<string> {
    const argv = [`--root=${this.options.root}`, '--cgroup-manager=cgroupfs', ...args];
    return new Promise((resolve, reject) => {
      execFile(this.options.binary, argv, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = `${stderr}${stdout}`;
        if (!existsSync(join(this.options.root, id, 'status'))) return reject(new NotFoundError(`crun ${args[0]}: ${detail.trim()}`));
        reject(new CommandError(`crun ${args[0]}`, typeof error.code === 'number' ? error.code : null, detail || error.message));
      });
    });
  }

  #global(log: string): string[] {
    return [this.options.binary, `--root=${this.options.root}`, '--cgroup-manager=cgroupfs', `--log=file:${log}`];
  }
}
