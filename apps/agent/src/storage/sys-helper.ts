import { execFile } from 'node:child_process';
import { CommandError } from '../errors';

/**
 * kata-agent-sys (native/): mount(2), umount2(2), settimeofday(2) and RNDRESEEDCRNG, which Node
 * lacks and the guest has no mount(8)/date(1) for.
 */
export class SysHelper {
  constructor(readonly binary: string) {}

  mount(fstype: string, source: string, target: string, options: string[]): Promise<void> {
    return this.#run(['mount', fstype || 'none', source, target, options.join(',')]);
  }

  /** Lazy (detached) when busy: the kernel frees it once the last user goes. */
  unmount(target: string): Promise<void> {
    return this.#run(['umount', target]);
  }

  setTime(seconds: number, microseconds: number): Promise<void> {
    return this.#run(['settime', String(Math.floor(seconds)), String(Math.floor(microseconds))]);
  }

  /** Mixes `data` into the guest's RNG and reseeds it now. */
  reseedRandom(data: Uint8Array): Promise<void> {
    return this.#run(['reseed'], data);
  }

  #run(args: string[], input?: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = execFile(this.binary, args, (error, _stdout, stderr) => {
        if (!error) return resolve();
        reject(new CommandError(`kata-agent-sys ${args[0]}`, typeof error.code === 'number' ? error.code : null, stderr || error.message));
      });
      child.stdin?.end(input);
    });
  }
}
