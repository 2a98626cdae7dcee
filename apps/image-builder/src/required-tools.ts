import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ImageBuildError } from './image-build-error';

/** Tool → the Debian package that ships it, for the error message. */
const TOOLS: Record<string, string> = {
  'apt-get': 'apt',
  'apt-cache': 'apt',
  'dpkg-deb': 'dpkg',
  depmod: 'kmod',
  gcc: 'build-essential',
  strip: 'binutils',
  ldd: 'libc-bin',
  xz: 'xz-utils',
  lz4: 'lz4',
  'mkfs.ext4': 'e2fsprogs',
  debugfs: 'e2fsprogs',
};

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Fails with one message naming every missing tool and its Debian package. */
export function checkTools(tools: readonly string[] = Object.keys(TOOLS)): void {
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => TOOLS[t] ?? t))].join(' ');
  throw new ImageBuildError('TOOL_MISSING', `missing tools: ${missing.join(', ')} (apt-get install ${packages}, or run tools/setup)`);
}
