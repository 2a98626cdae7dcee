import { closeSync, openSync, readSync } from 'node:fs';
import { ImageBuildError } from './image-build-error';
import { runCommand } from './run-command';

/** True when the file starts with the ELF magic. */
export function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

/**
 * The shared libraries `ldd` names for an ELF file (executable or .node addon), as the absolute
 * paths the dynamic loader will look for in the guest (the loader itself included). A static
 * binary needs none.
 */
export async function sharedLibraries(path: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await runCommand('ldd', [path]));
  } catch (err) {
    // ldd exits 1 for static binaries ("not a dynamic executable").
    if (err instanceof ImageBuildError && err.code === 'COMMAND_FAILED' && /not a dynamic executable/.test(err.message)) return [];
    throw err;
  }
  if (/not a dynamic executable|statically linked/.test(stdout)) return [];
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const arrow = /=>\s*(\/\S+)\s+\(/.exec(line);
    const direct = /^\s*(\/\S+)\s+\(/.exec(line);
    const lib = arrow?.[1] ?? direct?.[1];
    if (lib) libs.push(lib);
    else if (/=>\s*not found/.test(line)) throw new ImageBuildError('TOOL_MISSING', `${path} needs a library the host lacks: ${line.trim()}`);
  }
  return libs;
}
