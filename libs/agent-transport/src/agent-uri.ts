import { VsockError } from './errors';

/** Where the agent is, as Kata writes it (plus `serial://` and `unix://` of our own). */
export type AgentUri =
  /** Kernel vsock. `vsock://-1:1024` means VMADDR_CID_ANY (listening side). */
  | { scheme: 'vsock'; cid: number; port: number }
  /** Hybrid vsock: a unix socket plus the CONNECT handshake (Firecracker, CH, kata-proxy). */
  | { scheme: 'hvsock'; path: string; port: number }
  /** A virtio-serial port (name under /dev/virtio-ports, or a device path) carrying mux streams. */
  | { scheme: 'serial'; device: string; port: number }
  /** A plain unix socket (tests, local agents). */
  | { scheme: 'unix'; path: string };

function parsePort(text: string | undefined, uri: string): number {
  const port = Number(text);
  if (!text || !/^\d+$/.test(text) || port > 0xffffffff) throw new VsockError('BAD_URI', `${uri}: bad port ${JSON.stringify(text)}`);
  return port;
}

/** Splits `<head>:<port>` at the last colon (paths may contain colons, ports cannot). */
function splitPort(rest: string, uri: string): [string, number] {
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) throw new VsockError('BAD_URI', `${uri}: expected <address>:<port>`);
  return [rest.slice(0, colon), parsePort(rest.slice(colon + 1), uri)];
}

export function parseAgentUri(uri: string): AgentUri {
  const match = /^([a-z]+):\/\/(.*)$/.exec(uri);
  if (!match) throw new VsockError('BAD_URI', `${uri}: expected <scheme>://...`);
  const [, scheme, rest = ''] = match;
  switch (scheme) {
    case 'vsock': {
      const [cidText, port] = splitPort(rest, uri);
      const cid = cidText === '-1' ? 0xffffffff : parsePort(cidText, uri);
      return { scheme, cid, port };
    }
    case 'hvsock': {
      const [path, port] = splitPort(rest, uri);
      return { scheme, path, port };
    }
    case 'serial': {
      const [device, port] = splitPort(rest, uri);
      return { scheme, device, port };
    }
    case 'unix':
      if (!rest) throw new VsockError('BAD_URI', `${uri}: empty path`);
      return { scheme, path: rest };
    default:
      throw new VsockError('BAD_URI', `${uri}: unknown scheme ${JSON.stringify(scheme)} (vsock, hvsock, serial, unix)`);
  }
}
