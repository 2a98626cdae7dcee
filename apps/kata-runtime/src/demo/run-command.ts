import { spawn } from 'node:child_process';
import { KataError } from '@kata-ts/errors';

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each line of the command's stdout and stderr, as it comes. */
  onLine?: (line: string) => void;
  /** Keep stdout (default: only lines are reported). */
  capture?: boolean;
}

export class CommandError extends KataError<'COMMAND_FAILED'> {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly tail: string,
  ) {
    super('COMMAND_FAILED', `${command} failed (exit ${exitCode ?? 'signal'})${tail ? `:\n${tail}` : ''}`);
  }
}

/** Runs a command to completion, streaming its output lines; throws CommandError on failure. */
export function runCommand(cmd: string, args: string[], options: RunCommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail: string[] = [];
    const lines = (chunk: Buffer, partial: { text: string }): void => {
      const parts = (partial.text + chunk.toString()).split('\n');
      partial.text = parts.pop() ?? '';
      for (const line of parts) {
        tail = [...tail.slice(-19), line];
        options.onLine?.(line);
      }
    };
    const out = { text: '' };
    const err = { text: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.capture) stdout += chunk.toString();
      lines(chunk, out);
    });
    child.stderr.on('data', (chunk: Buffer) => lines(chunk, err));
    child.on('error', reject);
    child.on('close', (code) => {
      for (const rest of [out.text, err.text]) if (rest) options.onLine?.(rest);
      if (code === 0) resolve(stdout);
      else reject(new CommandError([cmd, ...args].join(' '), code, tail.join('\n')));
    });
  });
}
