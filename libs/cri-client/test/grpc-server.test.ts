// The client against a real grpc-js server on a unix socket, serving runtime.v1 with the same codecs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type MethodDefinition, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cri, CriClient, CriError, podSandboxConfig, type MethodDefinition as CriMethod } from '../src/index';

type Handler = (request: unknown) => Promise<unknown>;

function grpcService(handlers: Record<string, Handler>): [Record<string, MethodDefinition<unknown, unknown>>, UntypedServiceImplementation] {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [key, handler] of Object.entries(handlers)) {
    const method = cri.RuntimeServiceDefinition.methods[key as keyof typeof cri.RuntimeServiceDefinition.methods] as unknown as CriMethod;
    definition[key] = {
      path: `/${cri.RuntimeServiceDefinition.fullName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: unknown) => Buffer.from(method.requestType.encode(v).finish()),
      requestDeserialize: (b: Buffer) => method.requestType.decode(b),
      responseSerialize: (v: unknown) => Buffer.from(method.responseType.encode(method.responseType.fromPartial(v)).finish()),
      responseDeserialize: (b: Buffer) => method.responseType.decode(b),
    };
    implementation[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      handler(call.request).then((v) => callback(null, v), (e: { code: number; details: string }) => callback(e));
    };
  }
  return [definition, implementation];
}

let dir: string;
let server: Server;
let client: CriClient;
const seen: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cri-client-'));
  server = new Server();
  server.addService(
    ...grpcService({
      version: async (req) => ({ version: (req as cri.VersionRequest).version, runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' }),
      runPodSandbox: async (req) => {
        seen.push(req);
        return { podSandboxId: `pod-for-${(req as cri.RunPodSandboxRequest).runtimeHandler}` };
      },
      stopPodSandbox: async () => {
        throw { code: status.NOT_FOUND, details: 'an error occurred when try to find sandbox "x": not found' };
      },
      execSync: (req) => new Promise((resolve) => setTimeout(() => resolve({ exitCode: 0 }), Number((req as cri.ExecSyncRequest).timeout) * 1000)),
      containerStatus: async () => ({ status: { id: 'c', createdAt: '1795505615601645376', exitCode: 7, state: cri.ContainerState.CONTAINER_EXITED } }),
    }),
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${join(dir, 'cri.sock')}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  client = await CriClient.connect(join(dir, 'cri.sock'), { timeoutMs: 5_000 });
});

afterAll(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('CriClient over grpc-js', () => {
  it('calls /runtime.v1.RuntimeService/Version and decodes the reply', async () => {
    expect(await client.runtime.version({ version: 'v1' })).toEqual({ version: 'v1', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' });
  });

  it('sends a partial request filled with proto3 defaults (runtime_handler, host network)', async () => {
    const config = podSandboxConfig({ name: 'p', uid: 'u' });
    expect(await client.runtime.runPodSandbox({ config, runtimeHandler: 'kata' })).toEqual({ podSandboxId: 'pod-for-kata' });
    expect(seen.at(-1)).toMatchObject({
      runtimeHandler: 'kata',
      config: { metadata: { name: 'p', namespace: 'default', uid: 'u' }, linux: { securityContext: { namespaceOptions: { network: cri.NamespaceMode.NODE } } } },
    });
  });

  it('keeps 64-bit nanosecond timestamps exact (decimal strings)', async () => {
    const { status: s } = await client.runtime.containerStatus({ containerId: 'c' });
    expect(s).toMatchObject({ createdAt: '1795505615601645376', exitCode: 7, state: cri.ContainerState.CONTAINER_EXITED });
  });

  it('turns a server error into a CriError with the gRPC code', async () => {
    const err = await client.runtime.stopPodSandbox({ podSandboxId: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CriError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', grpcCode: status.NOT_FOUND, method: 'StopPodSandbox' });
    expect((err as CriError).details).toContain('not found');
  });

  it('answers an rpc the server lacks with UNIMPLEMENTED', async () => {
    await expect(client.runtime.listPodSandbox({})).rejects.toMatchObject({ code: 'UNIMPLEMENTED', method: 'ListPodSandbox' });
  });

  it('fails a call past its deadline with DEADLINE_EXCEEDED', async () => {
    await expect(client.runtime.execSync({ containerId: 'c', timeout: 2 }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('cancels a call through its AbortSignal', async () => {
    const controller = new AbortController();
    const call = client.runtime.execSync({ containerId: 'c', timeout: 2 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('reports a socket nobody listens on as UNAVAILABLE', async () => {
    await expect(CriClient.connect(join(dir, 'none.sock'), { connectTimeoutMs: 300 })).rejects.toMatchObject({ code: 'UNAVAILABLE', method: 'connect' });
  });
});
