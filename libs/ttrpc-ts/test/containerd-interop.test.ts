import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, eventsService, packAny, types } from '@kata-ts/protocols';
import { Client, Code, createClient, TtrpcError } from '../src/index';
import { killGroup, startPrivateContainerd, type PrivateContainerd } from './private-containerd';

const NAMESPACE_KEY = 'containerd-namespace-ttrpc';
const { EventsDefinition } = eventsService;

/** A ForwardRequest as a shim sends it: Envelope{timestamp, namespace, topic, Any(TaskOOM)}. */
function oomForward(namespace: string, containerId: string): eventsService.ForwardRequest {
  const now = Date.now();
  const envelope: types.Envelope = {
    timestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
    namespace,
    topic: '/tasks/oom',
    event: packAny(events.TaskOOM, { containerId }),
  };
  return { envelope };
}
let containerd: PrivateContainerd;
let watcher: ChildProcess | undefined;
let client: Client | undefined;

beforeAll(async () => {
  containerd = await startPrivateContainerd();
}, 30_000);

afterAll(async () => {
  await client?.close();
  if (watcher) await killGroup(watcher);
  await containerd?.stop();
});

describe('interop with containerd 1.6 (Debian) over its ttrpc socket', () => {
  it('Events/Forward: containerd accepts the envelope and publishes it to `ctr events`', async () => {
    let printed = '';
    watcher = spawn('ctr', ['--address', containerd.address, 'events'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    watcher.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    watcher.stderr?.on('data', (chunk: Buffer) => (printed += chunk.toString()));

    client = await Client.connect(containerd.ttrpcAddress, { metadata: { [NAMESPACE_KEY]: 'default' } });
    const eventsClient = createClient(EventsDefinition, client);
    const containerId = `ttrpc-ts-${process.pid}`;
    // `ctr events` subscribes asynchronously: forward until it prints the event (each reply must be OK).
    for (let attempt = 0; attempt < 20 && !printed.includes(containerId); attempt++) {
      const reply = await eventsClient.forward(oomForward('default', containerId), { timeoutMs: 5_000 });
      expect(reply).toEqual({});
      for (let i = 0; i < 10 && !printed.includes(containerId); i++) await sleep(50);
    }
    expect(printed).toContain('/tasks/oom');
    expect(printed).toContain(containerId);
    expect(printed).toMatch(/default\s+\/tasks\/oom/);
  });

  it('answers an unknown method and an unknown service with UNIMPLEMENTED', async () => {
    const c = await Client.connect(containerd.ttrpcAddress, { metadata: { [NAMESPACE_KEY]: 'default' } });
    try {
      const method = await c.callRaw(EventsDefinition.fullName, 'NoSuchMethod', new Uint8Array()).catch((e: unknown) => e);
      expect(method).toBeInstanceOf(TtrpcError);
      expect(method).toMatchObject({ code: Code.UNIMPLEMENTED, message: 'method NoSuchMethod' });
      const service = await c.callRaw('no.such.Service', 'Do', new Uint8Array()).catch((e: unknown) => e);
      expect(service).toMatchObject({ code: Code.UNIMPLEMENTED, message: 'service no.such.Service' });
    } finally {
      await c.close();
    }
  });

  it('rejects an invalid envelope with containerd’s own error status', async () => {
    const c = await Client.connect(containerd.ttrpcAddress, { metadata: { [NAMESPACE_KEY]: 'default' } });
    try {
      const err = await createClient(EventsDefinition, c)
        .forward(oomForward('bad namespace!', 'x'))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TtrpcError);
      expect(err).toMatchObject({ code: Code.INVALID_ARGUMENT });
      expect((err as TtrpcError).message).toContain('invalid namespace');
    } finally {
      await c.close();
    }
  });
});
