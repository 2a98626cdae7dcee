import { spawn } from 'node:child_process';
import { ImageBuildError } from './image-build-error';

export interface RunOptions {
  cwd?: string;
  /** Written to the child's stdin. */
  input?: Buffer | string;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion; a missing tool or a non-zero exit becomes an ImageBuildError. */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', (cause: NodeJS.ErrnoException) => {
      if (cause.code === 'ENOENT') reject(new ImageBuildError('TOOL_MISSING', `${file} not found: install it (tools/setup installs every tool the image build needs)`, { cause }));
      else reject(new ImageBuildError('COMMAND_FAILED', `${file}: ${cause.message}`, { cause }));
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ImageBuildError('COMMAND_FAILED', `${file} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-2000)}`));
    });
    // A child that exits without reading its input must not crash us with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input);
  });
}
