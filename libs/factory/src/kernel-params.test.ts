import { describe, expect, it } from 'vitest';
import { parseConfig } from '@kata-ts/config';
import { kernelParams } from './kernel-params';

const config = (debugConsole: boolean) =>
  parseConfig({ hypervisor: { qemu: { kernel: '/k', initrd: '/i', kernel_params: 'quiet panic=-1' } }, agent: { kata: { debug_console_enabled: debugConsole } } }, 't.toml');

describe('kernelParams', () => {
  it('is the configured parameters without the debug console', () => {
    expect(kernelParams(config(false))).toBe('quiet panic=-1');
  });
  it('adds agent.debug_console and its vport 1026 when debug_console_enabled', () => {
    expect(kernelParams(config(true))).toBe('quiet panic=-1 agent.debug_console agent.debug_console_vport=1026');
  });
});
