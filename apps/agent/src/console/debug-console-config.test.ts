import { describe, expect, it } from 'vitest';
import { consoleShell, debugConsoleFromCmdline } from './debug-console-config';

describe('debugConsoleFromCmdline', () => {
  const shell = ['/bin/sh'];
  it('is off unless agent.debug_console is a word of the command line', () => {
    expect(debugConsoleFromCmdline('console=ttyS0 quiet', shell)).toBeUndefined();
    expect(debugConsoleFromCmdline('agent.debug_console_vport=1026 agent.debug_consoles', shell)).toBeUndefined();
  });
  it('takes the port from agent.debug_console_vport, default 1026', () => {
    expect(debugConsoleFromCmdline('quiet agent.debug_console\n', shell)).toEqual({ port: 1026, shell });
    expect(debugConsoleFromCmdline('agent.debug_console agent.debug_console_vport=2000 panic=-1', shell)).toEqual({ port: 2000, shell });
    expect(() => debugConsoleFromCmdline('agent.debug_console agent.debug_console_vport=x', shell)).toThrow(/not a port/);
  });
});

describe('consoleShell', () => {
  it("prefers the guest's bash or sh, else the busybox beside the agent", () => {
    expect(consoleShell('/opt/kata-agent', (p) => p === '/bin/sh')).toEqual(['/bin/sh']);
    expect(consoleShell('/opt/kata-agent', () => true)).toEqual(['/bin/bash']);
    expect(consoleShell('/opt/kata-agent', () => false)).toEqual(['/opt/kata-agent/busybox', 'sh']);
  });
});
