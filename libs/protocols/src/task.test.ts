import { describe, expect, it } from 'vitest';
import { packAny, runtimeoptions, task, types, unpackAnyAs } from './index';
import { wire } from './testing/wire-bytes';

describe('containerd.task.v2', () => {
  it('Task has exactly the 17 shim v2 methods under its full name', () => {
    expect(task.TaskDefinition.fullName).toBe('containerd.task.v2.Task');
    expect(Object.values(task.TaskDefinition.methods).map((m) => m.name)).toEqual([
      'State', 'Create', 'Start', 'Delete', 'Pids', 'Pause', 'Resume', 'Checkpoint', 'Kill',
      'Exec', 'ResizePty', 'CloseIO', 'Update', 'Wait', 'Stats', 'Connect', 'Shutdown',
    ]);
    for (const m of Object.values(task.TaskDefinition.methods)) {
      expect([m.requestStream, m.responseStream]).toEqual([false, false]);
    }
  });

  it('encodes CreateTaskRequest to hand-computed bytes', () => {
    const request = task.CreateTaskRequest.fromPartial({
      id: 'c1',
      bundle: '/b',
      rootfs: [{ type: 'overlay', source: 'overlay', options: ['ro'] }],
      terminal: true,
      stdout: '/o',
      options: packAny(runtimeoptions.Options, runtimeoptions.Options.fromPartial({ configPath: '/c' })),
    });
    const bytes = task.CreateTaskRequest.encode(request).finish();
    // prettier-ignore
    expect([...bytes]).toEqual(wire(
      0x0a, 2, 'c1',                                  // 1 id
      0x12, 2, '/b',                                  // 2 bundle
      0x1a, 22,                                       // 3 rootfs: Mount
      0x0a, 7, 'overlay', 0x12, 7, 'overlay', 0x22, 2, 'ro', //   1 type, 2 source, 4 options
      0x20, 1,                                        // 4 terminal
      0x32, 2, '/o',                                  // 6 stdout
      0x52, 33,                                       // 10 options: Any
      0x0a, 25, 'runtimeoptions.v1.Options',          //   1 type_url (bare name)
      0x12, 4, 0x12, 2, '/c',                         //   2 value: Options{2 config_path}
    ));
    const decoded = task.CreateTaskRequest.decode(bytes);
    expect(decoded).toEqual(request);
    expect(unpackAnyAs(runtimeoptions.Options, decoded.options!).configPath).toBe('/c');
  });

  it('encodes StateResponse status as the containerd.v1.types enum', () => {
    const bytes = task.StateResponse.encode(
      task.StateResponse.fromPartial({ pid: 7, status: types.Status.STOPPED, exitStatus: 1, execId: 'e' }),
    ).finish();
    expect([...bytes]).toEqual(wire(0x18, 7, 0x20, 3, 0x48, 1, 0x5a, 1, 'e'));
  });

  it('carries UpdateTaskRequest annotations as map entries', () => {
    const bytes = task.UpdateTaskRequest.encode({ id: 'c', annotations: { k: 'v' } }).finish();
    expect([...bytes]).toEqual(wire(0x0a, 1, 'c', 0x1a, 6, 0x0a, 1, 'k', 0x12, 1, 'v'));
    expect(task.UpdateTaskRequest.decode(bytes).annotations).toEqual({ k: 'v' });
  });
});
