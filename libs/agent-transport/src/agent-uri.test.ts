import { describe, expect, it } from 'vitest';
import { parseAgentUri } from './agent-uri';
import { VsockError } from './errors';

describe('parseAgentUri', () => {
  it('parses Kata vsock URIs, -1 meaning VMADDR_CID_ANY', () => {
    expect(parseAgentUri('vsock://-1:1024')).toEqual({ scheme: 'vsock', cid: 0xffffffff, port: 1024 });
    expect(parseAgentUri('vsock://3:1026')).toEqual({ scheme: 'vsock', cid: 3, port: 1026 });
  });

  it('splits hvsock and serial at the last colon', () => {
    expect(parseAgentUri('hvsock:///run/vc/a:b/kata.hvsock:1024')).toEqual({ scheme: 'hvsock', path: '/run/vc/a:b/kata.hvsock', port: 1024 });
    expect(parseAgentUri('serial://agent.channel.0:1024')).toEqual({ scheme: 'serial', device: 'agent.channel.0', port: 1024 });
  });

  it('takes unix paths whole', () => {
    expect(parseAgentUri('unix:///tmp/agent.sock')).toEqual({ scheme: 'unix', path: '/tmp/agent.sock' });
  });

  it.each(['vsock://3', 'vsock://x:1', 'vsock://3:99999999999', 'hvsock:///p:', 'tcp://1:2', 'unix://', '/tmp/x'])(
    'rejects %s with BAD_URI',
    (uri) => {
      expect(() => parseAgentUri(uri)).toThrow(VsockError);
      try {
        parseAgentUri(uri);
      } catch (error) {
        expect((error as VsockError).code).toBe('BAD_URI');
      }
    },
  );
});
