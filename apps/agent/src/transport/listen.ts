import { existsSync, rmSync } from 'node:fs';
import type { Logger } from '@kata-ts/logging';
import type { Server } from '@kata-ts/ttrpc';
import { parseAgentUri } from '@kata-ts/vsock';
import { InvalidArgumentError } from '../errors';

/** Serves the ttrpc server on one agent URI (unix://, vsock://, serial://). */
export async function listenOn(server: Server, uri: string, log: Logger): Promise<void> {
  const parsed = parseAgentUri(uri);
  switch (parsed.scheme) {
    case 'unix':
      if (existsSync(parsed.path)) rmSync(parsed.path);
      await server.listen(parsed.path);
      break;
    default:
      throw new InvalidArgumentError(`--listen ${uri}: ${parsed.scheme}:// is not supported by this build`);
  }
  log.info({ uri }, 'listening');
}
