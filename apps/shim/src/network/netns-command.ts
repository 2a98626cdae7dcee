import { execFile } from 'node:child_process';
import { InternalError } from '@kata-ts/errors';

const NSENTER = '/usr/bin/nsenter';

/**
 * Runs iproute2's `ip` or `tc` inside a network namespace. Node cannot setns(2), so nsenter(1)
 * enters it and execs the tool: iproute2 is what CNI users already have on every node, and its
 * batch mode makes a whole change one process. `input` is a batch (`-batch -`).
 */
export function inNetns(netns: string, tool: 'ip' | 'tc', args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(NSENTER, [`--net=${netns}`, '--', tool, ...args], { maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const what = `${tool} ${args.join(' ')}${input ? ` (${input.trim().replace(/\n/g, '; ')})` : ''} in ${netns}`;
      reject(new InternalError(`${what} failed: ${(stderr || error.message).trim()}`));
    });
    child.stdin?.end(input);
  });
}

/** `ip -j …` inside the namespace, parsed. */
export async function ipJson<T>(netns: string, args: string[]): Promise<T> {
  return JSON.parse((await inNetns(netns, 'ip', ['-j', ...args])) || '[]') as T;
}
