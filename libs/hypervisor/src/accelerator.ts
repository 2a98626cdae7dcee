import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputTail, type Logger } from '@kata-ts/logging';
import { DEFAULT_QEMU_PATH } from './qemu/command-line';
import type { AcceleratorKind } from './vm-config';

/** kata-runtime check's shape: whether a guest really runs under KVM, and why. */
export interface KvmVerdict {
  usable: boolean;
  reason: string;
  /** True when the verdict came from this host boot's cache. */
  cached?: boolean;
}

export interface KvmProbeOptions {
  qemuPath?: string;
  /** The guest kernel to try (a stock kernel is what crashes under broken nested KVM). */
  kernel: string;
  /** Accepted for kata-runtime's probe shape; the probe needs no initrd. */
  initrd?: string;
  /** Default /dev/kvm. */
  kvmDevice?: string;
  /** Verdicts are cached here per host boot; default /run/kata-ts. */
  cacheDir?: string;
  /** How long the guest gets to reach its root-mount panic. Default 8000 ms. */
  timeoutMs?: number;
  logger?: Logger;
}

// With no initrd and no root device the kernel runs its whole init and then panics here: the
// line proves a complete guest boot happened under the accelerator.
const BOOTED_MARKER = /VFS: Unable to mount root fs|Kernel panic - not syncing: No working init/;

/**
 * Does KVM work here? A present /dev/kvm may not (nested PVM: a stock guest kernel crashes under
 * it), so this boots the real kernel with -accel kvm and waits for proof of a finished boot on the
 * serial console. Cached per host boot (boot_id) and kernel (path + mtime + size).
 */
export async function probeKvm(options: KvmProbeOptions): Promise<KvmVerdict> {
  const kvmDevice = options.kvmDevice ?? '/dev/kvm';
  try {
    accessSync(kvmDevice, constants.R_OK | constants.W_OK);
  } catch (err) {
    return { usable: false, reason: `${kvmDevice} is not usable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  const qemuPath = options.qemuPath ?? DEFAULT_QEMU_PATH;
  const cacheFile = join(options.cacheDir ?? '/run/kata-ts', `kvm-verdict-${cacheKey(qemuPath, options.kernel, kvmDevice)}.json`);
  try {
    return { ...(JSON.parse(readFileSync(cacheFile, 'utf8')) as KvmVerdict), cached: true };
  } catch {
    // Not probed yet in this host boot.
  }
  const verdict = await bootUnderKvm(qemuPath, options.kernel, options.timeoutMs ?? 8000);
  options.logger?.info({ kernel: options.kernel, ...verdict }, 'KVM probe');
  try {
    mkdirSync(options.cacheDir ?? '/run/kata-ts', { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(verdict));
  } catch (err) {
    options.logger?.warn({ err, cacheFile }, 'cannot cache the KVM verdict');
  }
  return verdict;
}

function cacheKey(qemuPath: string, kernel: string, kvmDevice: string): string {
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const st = statSync(kernel);
  return createHash('sha256').update(JSON.stringify([bootId, qemuPath, kernel, st.mtimeMs, st.size, kvmDevice])).digest('hex').slice(0, 16);
}

function bootUnderKvm(qemuPath: string, kernel: string, timeoutMs: number): Promise<KvmVerdict> {
  const args = ['-machine', 'pc', '-accel', 'kvm', '-cpu', 'host', '-m', '256', '-nographic', '-nodefaults', '-no-user-config', '-no-reboot', '-serial', 'stdio', '-kernel', kernel, '-append', 'console=ttyS0 panic=-1 loglevel=4'];
  return new Promise((resolve) => {
    const started = performance.now();
    // Own process group: whatever the probe started dies with it.
    const child = spawn(qemuPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let stderr = '';
    let settled = false;
    const finish = (verdict: KvmVerdict): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      resolve(verdict);
    };
    const timer = setTimeout(() => finish({ usable: false, reason: `a guest under KVM did not finish booting within ${timeoutMs} ms` }), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output = (output + d).slice(-8192);
      if (BOOTED_MARKER.test(output)) finish({ usable: true, reason: `a guest booted under KVM in ${Math.round(performance.now() - started)} ms` });
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2048)));
    child.on('error', (err) => finish({ usable: false, reason: `${qemuPath}: ${err.message}` }));
    child.on('close', (code, signal) => {
      const detail = outputTail(stderr, 2, ' ') || `exit ${signal ?? code}`;
      finish({ usable: false, reason: `the guest under KVM died before finishing its boot (${detail})` });
    });
  });
}

export interface AcceleratorChoice {
  accelerator: AcceleratorKind;
  reason: string;
}

/** `auto` probes KVM and falls back to TCG; `kvm`/`tcg` are taken as configured. */
export async function selectAccelerator(setting: 'auto' | AcceleratorKind, probe: KvmProbeOptions): Promise<AcceleratorChoice> {
  if (setting !== 'auto') return { accelerator: setting, reason: `configured: accelerator = "${setting}"` };
  const verdict = await probeKvm(probe);
  return { accelerator: verdict.usable ? 'kvm' : 'tcg', reason: verdict.reason };
}
