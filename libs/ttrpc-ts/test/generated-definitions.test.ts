import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { task } from '@kata-ts/protocols';
import { Client, Code, createClient, TtrpcError, type TypedClient } from '../src/index';
import { startUnixServer, type RunningServer } from './fixtures/unix-server';

/**
 * The generated containerd Task definition through both ends, in the pattern containerd uses a
 * shim: a Wait stays open while State and Kill are called on the same connection.
 */
let srv: RunningServer;
let client: Client;
let tasks: TypedClient<task.TaskDefinition>;
let exited: (status: number) => void = () => {};

beforeAll(async () => {
  const exit = new Promise<number>((resolve) => (exited = resolve));
  srv = await startUnixServer((s) =>
    s.register(task.TaskDefinition, {
      create: (req) => ({ pid: req.id === 'c1' ? 4242 : 1 }),
      state: (req, ctx) =>
        task.StateResponse.fromPartial({ id: req.id, pid: 4242, bundle: ctx.metadata.get('containerd-namespace-ttrpc')?.[0] ?? '' }),
      kill: (req) => {
        exited(128 + req.signal);
        return {};
      },
      wait: async () => task.WaitResponse.fromPartial({ exitStatus: await exit }),
    }),
  );
  client = await Client.connect(srv.path, { metadata: { 'containerd-namespace-ttrpc': 'default' } });
  tasks = createClient(task.TaskDefinition, client);
});

afterAll(async () => {
  await client?.close();
  await srv?.stop();
});

describe('generated containerd.task.v2.Task definition', () => {
  it('create, a Wait left open while State and Kill are answered, then the Wait completes', async () => {
    expect(await tasks.create(task.CreateTaskRequest.fromPartial({ id: 'c1', bundle: '/b' }))).toEqual({ pid: 4242 });
    const wait = tasks.wait({ id: 'c1', execId: '' });
    const state = await tasks.state({ id: 'c1', execId: '' });
    expect([state.id, state.pid, state.bundle]).toEqual(['c1', 4242, 'default']);
    expect(await tasks.kill(task.KillRequest.fromPartial({ id: 'c1', signal: 9 }))).toEqual({});
    expect((await wait).exitStatus).toBe(137);
  });

  it('methods the implementation leaves out answer UNIMPLEMENTED, as containerd expects', async () => {
    const err = await tasks.pause({ id: 'c1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtrpcError);
    expect(err).toMatchObject({ code: Code.UNIMPLEMENTED, message: 'method Pause' });
  });
});
