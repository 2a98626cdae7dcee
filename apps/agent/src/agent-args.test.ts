import { describe, expect, it } from 'vitest';
import { agentUsage, parseAgentArgs } from './agent-args';

const defaults = { sharedDir: '/shared', crun: 'crun', monitor: '/m', sysHelper: '/s', logLevel: 'info' };

describe('parseAgentArgs', () => {
  it('takes the defaults when given nothing', () => {
    expect(parseAgentArgs([], defaults)).toEqual({
      help: false,
      guest: false,
      listen: [],
      root: '/run/kata-agent',
      sharedDir: '/shared',
      crun: 'crun',
      monitor: '/m',
      sysHelper: '/s',
      ip: 'ip',
      kernelCmdline: '/proc/cmdline',
      log: undefined,
      logLevel: 'info',
    });
  });

  it('takes --listen repeated, flags and values (what kata-init and the test harness pass)', () => {
    const args = parseAgentArgs(['--guest', '--listen', 'unix:///a', '--listen', 'serial://p:1024', '--root', '/r', '--shared-dir', '/sh', '--log-level', 'warn', '--sys-helper', '/h'], defaults);
    expect(args).toMatchObject({ guest: true, listen: ['unix:///a', 'serial://p:1024'], root: '/r', sharedDir: '/sh', logLevel: 'warn', sysHelper: '/h' });
  });

  it('names an unknown option, and a value missing', () => {
    expect(() => parseAgentArgs(['--nope'], defaults)).toThrow(/--nope/);
    expect(() => parseAgentArgs(['--root'], defaults)).toThrow(/--root/);
  });

  it('has -h, and a usage that lists every option', () => {
    expect(parseAgentArgs(['-h'], defaults).help).toBe(true);
    for (const flag of ['--guest', '--listen <uri>', '--shared-dir <dir>', '--kernel-cmdline <path>', '--log-level <level>']) expect(agentUsage()).toContain(flag);
  });
});
