import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GUEST_IMAGE } from '@kata-ts/testing';
import { DIST } from './harness';

export const hasGuestImage = existsSync(GUEST_IMAGE.kernel) && existsSync(GUEST_IMAGE.initrd) && existsSync('/usr/bin/qemu-system-x86_64');

/**
 * The guest image's initrd with this build's dist/ laid over /opt/kata-agent: the kernel
 * unpacks concatenated newc archives in order, later files replacing earlier ones, so the VM
 * runs the agent under test without rebuilding the image.
 */
export async function initrdWithThisAgent(dir: string): Promise<string> {
  const stage = join(dir, 'overlay');
  mkdirSync(join(stage, 'opt/kata-agent'), { recursive: true });
  for (const f of readdirSync(DIST)) copyFileSync(join(DIST, f), join(stage, 'opt/kata-agent', f));
  const list = ['opt', 'opt/kata-agent', ...readdirSync(DIST).map((f) => `opt/kata-agent/${f}`)].join('\n');
  const overlay = execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: stage, input: list, maxBuffer: 64 << 20 });
  const initrd = join(dir, 'initrd.img');
  await pipeline(createReadStream(GUEST_IMAGE.initrd), createWriteStream(initrd));
  execFileSync('sh', ['-c', 'cat >> "$0"', initrd], { input: overlay });
  return initrd;
}
