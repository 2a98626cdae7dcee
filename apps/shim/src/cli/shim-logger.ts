import { constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, type Logger } from '@kata-ts/logging';

/**
 * The shim's logger: containerd's `<bundle>/log` FIFO (copied into containerd's own log) when
 * containerd is reading it, else `<bundle>/shim.log`; `$KATA_TS_SHIM_LOG` overrides. Never stdout.
 */
export function shimLogger(bundle: string, bindings: Record<string, unknown>, debug: boolean): Logger {
  const level = debug ? 'debug' : undefined;
  const override = process.env.KATA_TS_SHIM_LOG;
  if (override) return createLogger({ name: 'kata-shim', destination: override, bindings, level });
  try {
    const fd = openSync(join(bundle, 'log'), constants.O_WRONLY | constants.O_NONBLOCK);
    return createLogger({ name: 'kata-shim', destination: fd, bindings, level });
  } catch {
    return createLogger({ name: 'kata-shim', destination: join(bundle, 'shim.log'), bindings, level });
  }
}
