import { describe, expect, it } from 'vitest';
import { events, eventsService, packAny, types, unpackAny } from './index';
import { wire } from './testing/wire-bytes';

describe('containerd events', () => {
  it('Events service is containerd.services.events.ttrpc.v1.Events with Forward only', () => {
    expect(eventsService.EventsDefinition.fullName).toBe('containerd.services.events.ttrpc.v1.Events');
    expect(Object.values(eventsService.EventsDefinition.methods).map((m) => m.name)).toEqual(['Forward']);
  });

  it('encodes a TaskExit in an Envelope in a ForwardRequest to hand-computed bytes', () => {
    const exit = events.TaskExit.fromPartial({ containerId: 'c1', id: 'c1', pid: 42, exitStatus: 137, exitedAt: { seconds: 3 } });
    const request: eventsService.ForwardRequest = {
      envelope: {
        timestamp: { seconds: 1, nanos: 2 },
        namespace: 'default',
        topic: '/tasks/exit',
        event: packAny(events.TaskExit, exit),
      },
    };
    const bytes = eventsService.ForwardRequest.encode(request).finish();
    // prettier-ignore
    expect([...bytes]).toEqual(wire(
      0x0a, 77,                                   // 1 envelope
      0x0a, 4, 0x08, 1, 0x10, 2,                  //   1 timestamp {1 seconds, 2 nanos}
      0x12, 7, 'default',                         //   2 namespace
      0x1a, 11, '/tasks/exit',                    //   3 topic
      0x22, 47,                                   //   4 event: Any
      0x0a, 26, 'containerd.events.TaskExit',     //     1 type_url
      0x12, 17,                                   //     2 value: TaskExit
      0x0a, 2, 'c1', 0x12, 2, 'c1',               //       1 container_id, 2 id
      0x18, 42, 0x20, 0x89, 0x01,                 //       3 pid, 4 exit_status 137
      0x2a, 2, 0x08, 3,                           //       5 exited_at {1 seconds}
    ));
    const envelope = eventsService.ForwardRequest.decode(bytes).envelope!;
    expect(unpackAny(envelope.event!)).toEqual({ typeName: 'containerd.events.TaskExit', message: exit });
  });

  it('registers every task event under its containerd type name', () => {
    const names = ['TaskCreate', 'TaskStart', 'TaskDelete', 'TaskIO', 'TaskExit', 'TaskOOM', 'TaskExecAdded',
      'TaskExecStarted', 'TaskPaused', 'TaskResumed', 'TaskCheckpointed'];
    for (const name of names) {
      const any = { typeUrl: `containerd.events.${name}`, value: Buffer.alloc(0) };
      expect(unpackAny(any).typeName).toBe(`containerd.events.${name}`);
    }
    expect(types.Envelope.$type).toBe('containerd.types.Envelope');
  });
});
