import { deleteCommand } from './cli/delete-command';
import { parseShimArgs } from './cli/shim-args';
import { serveCommand } from './cli/serve-command';
import { startCommand } from './cli/start-command';
import { SHIM_VERSION } from './task-service';

/** The checkout's commit, set by the bundle's build (tools/build-app.mjs --commit); absent under tsx. */
declare const __KATA_TS_COMMIT__: string | undefined;

/*
 * containerd-shim-kata-v2. stdout carries only what containerd parses (start: the address;
 * delete: a DeleteResponse); errors go to stderr, which containerd shows the user.
 */
async function main(): Promise<number> {
  const args = parseShimArgs(process.argv.slice(2));
  if (args.version) {
    const commit = typeof __KATA_TS_COMMIT__ === 'string' ? __KATA_TS_COMMIT__ : 'unknown (not a release build)';
    process.stdout.write(`containerd-shim-kata-v2 (kata-ts) version ${SHIM_VERSION}, commit ${commit}, node ${process.version}\n`);
    return 0;
  }
  switch (args.action) {
    case 'start':
      process.stdout.write(await startCommand(args, process.stdin));
      return 0;
    case 'delete':
      process.stdout.write(await deleteCommand(args));
      return 0;
    case 'serve':
      await serveCommand(args);
      return -1;
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`containerd-shim-kata-v2: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
