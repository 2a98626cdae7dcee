import { describe, expect, it } from 'vitest';
import { parseShimArgs } from './shim-args';

describe('parseShimArgs', () => {
  it('reads what containerd 1.6 passes to start', () => {
    const args = parseShimArgs(['-namespace', 'default', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'c1', 'start']);
    expect(args).toMatchObject({ namespace: 'default', address: '/run/containerd/containerd.sock', publishBinary: '/usr/bin/containerd', id: 'c1', action: 'start', debug: false });
  });

  it('reads delete with -bundle and -debug, and Go flag forms', () => {
    const args = parseShimArgs(['--namespace=k8s.io', '-address', '/a', '-id=x', '-bundle', '/b', '-debug', 'delete']);
    expect(args).toMatchObject({ namespace: 'k8s.io', id: 'x', bundle: '/b', debug: true, action: 'delete' });
  });

  it('runs the daemon without an action; -v asks for the version', () => {
    expect(parseShimArgs(['-id', 'c', '-socket', '/s']).action).toBe('serve');
    expect(parseShimArgs(['-v']).version).toBe(true);
    expect(parseShimArgs(['--version']).version).toBe(true);
  });

  it('rejects unknown flags and actions like Go flag does', () => {
    expect(() => parseShimArgs(['-bogus', 'x'])).toThrow(/flag provided but not defined: -bogus/);
    expect(() => parseShimArgs(['-id'])).toThrow(/flag needs an argument: -id/);
    expect(() => parseShimArgs(['-id', 'x', 'frobnicate'])).toThrow(/unknown action "frobnicate"/);
  });
});
