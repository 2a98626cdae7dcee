// kata-proxy as a real process: the esbuild bundle, started as the shim starts it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** KATA_PROXY_BUNDLE runs the tests against another build (e.g. an older one, to compare). */
export const bundle = process.env.KATA_PROXY_BUNDLE ?? fileURLToPath(new URL('../dist/kata-proxy.mjs', import.meta.url));

export function assertBundle(): void {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npx nx run proxy:build\` first`);
}

/** Starts kata-proxy with `args` (plus --ready-fd 3) and resolves with what it wrote on fd 3. */
export function spawnProxy(args: string[]): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, [bundle, ...args, '--ready-fd', '3'], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'] });
  const ready = new Promise<string>((resolve, reject) => {
    let text = '';
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => (text += chunk.toString()));
    (child.stdio[3] as Readable).on('end', () => resolve(text));
    child.once('exit', (code) => reject(new Error(`kata-proxy exited with ${code} before ready`)));
  });
  ready.catch(() => {});
  return { child, ready };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGKILL unless it already exited; waits for the exit. */
export async function killProxy(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}
