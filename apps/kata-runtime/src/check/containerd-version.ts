import { connect as connectHttp2, constants } from 'node:http2';
import { connect as connectUnix } from 'node:net';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
const VERSION_PATH = '/containerd.services.version.v1.Version/Version';

export interface ContainerdVersion {
  version: string;
  revision: string;
}

/**
 * Asks containerd's gRPC socket for its version (containerd.services.version.v1.Version): a
 * socket that merely accepts connections is not proof that containerd answers.
 */
export function containerdVersion(address: string, timeoutMs = 3000): Promise<ContainerdVersion> {
  const socketPath = address.replace(/^unix:\/\//, '');
  return new Promise((resolve, reject) => {
    const session = connectHttp2('http://localhost', { createConnection: () => connectUnix(socketPath) });
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message: string | undefined;
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      session.destroy();
      if (err) return reject(err);
      if (status !== '0') return reject(new Error(`gRPC status ${status ?? 'missing'}: ${message ?? ''}`));
      try {
        resolve(decodeVersionResponse(Buffer.concat(chunks)));
      } catch (decodeErr) {
        reject(decodeErr as Error);
      }
    };
    session.on('error', (err) => finish(err));
    const req = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: VERSION_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const takeStatus = (headers: Record<string, unknown>): void => {
      if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
      if (headers['grpc-message'] !== undefined) message = decodeURIComponent(String(headers['grpc-message']));
    };
    req.on('response', takeStatus);
    req.on('trailers', takeStatus);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => finish());
    req.on('error', (err) => finish(err));
    // An empty VersionRequest: uncompressed flag 0 and a zero length.
    req.end(Buffer.alloc(5));
  });
}

/** One gRPC length-prefixed frame holding VersionResponse { string version = 1; string revision = 2; }. */
export function decodeVersionResponse(frame: Buffer): ContainerdVersion {
  if (frame.length < 5) throw new Error('short gRPC response');
  const length = frame.readUInt32BE(1);
  const reader = new BinaryReader(frame.subarray(5, 5 + length));
  const out: ContainerdVersion = { version: '', revision: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) out.version = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) out.revision = reader.string();
    else reader.skip(wireType);
  }
  return out;
}
