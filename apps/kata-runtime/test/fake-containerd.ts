import { createServer, type Http2Server } from 'node:http2';
import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** A gRPC server on a unix socket answering containerd's Version call, as containerd does. */
export async function startFakeContainerd(socketPath: string, version = '1.6.20~fake'): Promise<Http2Server> {
  const server = createServer();
  server.on('stream', (stream, headers) => {
    if (headers[':path'] !== '/containerd.services.version.v1.Version/Version') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
      return;
    }
    stream.on('data', () => undefined);
    stream.on('end', () => {
      const body = new BinaryWriter().uint32(10).string(version).uint32(18).string('deadbeef').finish();
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}
