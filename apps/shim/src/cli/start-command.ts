import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { google } from '@kata-ts/protocols';
import { podIdentity, readBundleSpec, writeBundleAddress } from '../bundle';
import { SHIM_SOCKET_DIR, shimSocketPath, socketAddress, socketIsLive } from '../shim-address';
import { configPathOf } from '../task-service';
import type { ShimArgs } from './shim-args';

const READY_TIMEOUT_MS = 10_000;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `start`: print the address of the pod's shim, starting it if needed. containerd reads stdout
 * AND stderr together as the address and waits for EOF on both, so the daemon gets neither
 * (its stdio is /dev/null, its own session) and nothing but the address is ever printed.
 */
export async function startCommand(args: ShimArgs, stdin: Readable): Promise<string> {
  const bundle = process.cwd();
  const options = await readAll(stdin);
  const configPath = options.length ? configPathOf(google.Any.decode(options)) : undefined;
  const { sandboxId } = podIdentity(args.id, readBundleSpec(bundle));
  const socket = shimSocketPath(args.address, args.namespace, sandboxId);
  const address = socketAddress(socket);
  if (!(await socketIsLive(socket))) {
    mkdirSync(SHIM_SOCKET_DIR, { recursive: true, mode: 0o711 });
    const daemonArgs = ['-namespace', args.namespace, '-address', args.address, '-publish-binary', args.publishBinary, '-id', args.id, '-socket', socket];
    if (args.debug) daemonArgs.push('-debug');
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...daemonArgs], {
      cwd: bundle,
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, KATA_TS_READY_FD: '3', ...(configPath ? { KATA_TS_START_CONFIG_PATH: configPath } : {}) },
    });
    const ready = child.stdio[3] as Readable;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the shim daemon did not listen on ${socket} within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.once('error', (err) => reject(err));
      child.once('exit', (code, signal) => reject(new Error(`the shim daemon exited (${code ?? signal}) before listening; see ${bundle}/shim.log`)));
      ready.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    ready.destroy();
    child.removeAllListeners();
    child.unref();
  }
  writeBundleAddress(bundle, address);
  return address;
}
