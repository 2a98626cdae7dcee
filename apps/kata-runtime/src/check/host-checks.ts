import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import type { CheckItem } from './check-item';

const execFileAsync = promisify(execFile);

/** vmx (Intel VT-x) or svm (AMD-V) among the CPU flags; hardware virtualisation is what KVM needs. */
export function checkCpuFlags(cpuinfoPath: string): CheckItem {
  const title = 'CPU virtualisation (vmx/svm)';
  let text: string;
  try {
    text = readFileSync(cpuinfoPath, 'utf8');
  } catch (err) {
    return { id: 'cpu', title, status: 'fallback', detail: `cannot read ${cpuinfoPath}: ${(err as Error).message}` };
  }
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const found = ['vmx', 'svm'].filter((f) => flags.has(f));
  if (found.length) return { id: 'cpu', title, status: 'ok', detail: `CPU flag ${found.join(', ')} present` };
  return {
    id: 'cpu',
    title,
    status: 'fallback',
    detail: 'no vmx/svm CPU flag (no hardware virtualisation exposed, e.g. a nested guest): QEMU uses TCG',
  };
}

/** A regular file the current user can read (guest kernel, initrd, image). */
export function checkReadableFile(id: string, title: string, path: string, configKey: string): CheckItem {
  if (!path) return { id, title, status: 'missing', detail: `${configKey} is not set in the configuration` };
  try {
    const st = statSync(path);
    if (!st.isFile()) return { id, title, status: 'missing', detail: `${path} (${configKey}) is not a regular file` };
    accessSync(path, constants.R_OK);
    return { id, title, status: 'ok', detail: `${path} (${(st.size / 2 ** 20).toFixed(1)} MiB)` };
  } catch (err) {
    return { id, title, status: 'missing', detail: `${path} (${configKey}): ${describeFsError(err)}` };
  }
}

/** An executable regular file (QEMU, kata-proxy). */
export function checkExecutable(id: string, title: string, path: string, configKey: string): CheckItem {
  if (!path) return { id, title, status: 'missing', detail: `${configKey} is not set in the configuration` };
  try {
    if (!statSync(path).isFile()) return { id, title, status: 'missing', detail: `${path} (${configKey}) is not a file` };
    accessSync(path, constants.X_OK);
    return { id, title, status: 'ok', detail: path };
  } catch (err) {
    return { id, title, status: 'missing', detail: `${path} (${configKey}): ${describeFsError(err)}` };
  }
}

/** Runs `<qemu> -version`: an existing file that does not run (wrong arch, missing libs) is no hypervisor. */
export async function checkQemu(path: string): Promise<CheckItem> {
  const title = 'QEMU binary';
  const exists = checkExecutable('qemu', title, path, 'hypervisor.qemu.path');
  if (exists.status !== 'ok') return exists;
  try {
    const { stdout } = await execFileAsync(path, ['-version'], { timeout: 10_000 });
    const firstLine = stdout.split('\n')[0]?.trim() ?? '';
    if (!/QEMU emulator version/.test(firstLine)) {
      return { id: 'qemu', title, status: 'missing', detail: `${path} -version printed "${firstLine}", not a QEMU version` };
    }
    return { id: 'qemu', title, status: 'ok', detail: `${path}: ${firstLine}` };
  } catch (err) {
    return { id: 'qemu', title, status: 'missing', detail: `${path} -version failed: ${(err as Error).message.split('\n')[0]}` };
  }
}

export function pathExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}
