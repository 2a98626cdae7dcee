import { describe, expect, it } from 'vitest';
import { rpc, ttrpc } from './index';

describe('ttrpc.Request', () => {
  it('round-trips every field, including repeated metadata keys', () => {
    const request: ttrpc.Request = {
      service: 'containerd.task.v2.Task',
      method: 'Wait',
      payload: Buffer.from([0x0a, 0x02, 0x63, 0x31]),
      timeoutNano: 5_000_000_000,
      metadata: [
        { key: 'containerd-namespace-ttrpc', value: 'default' },
        { key: 'containerd-namespace-ttrpc', value: 'k8s.io' },
      ],
    };
    const bytes = ttrpc.Request.encode(request).finish();
    expect(ttrpc.Request.decode(bytes)).toEqual(request);
  });

  it('encodes to the hand-computed wire bytes (field numbers and wire types)', () => {
    const bytes = ttrpc.Request.encode({
      service: 'S',
      method: 'M',
      payload: Buffer.from([0xff]),
      timeoutNano: 300,
      metadata: [{ key: 'k', value: 'v' }],
    }).finish();
    // prettier-ignore
    const expected = [
      0x0a, 0x01, 0x53,       // 1 service, LEN: "S"
      0x12, 0x01, 0x4d,       // 2 method, LEN: "M"
      0x1a, 0x01, 0xff,       // 3 payload, LEN
      0x20, 0xac, 0x02,       // 4 timeout_nano, VARINT 300
      0x2a, 0x06,             // 5 metadata, LEN 6: KeyValue
      0x0a, 0x01, 0x6b,       //   1 key "k"
      0x12, 0x01, 0x76,       //   2 value "v"
    ];
    expect([...bytes]).toEqual(expected);
  });

  it('decodes a request with an unknown field by skipping it', () => {
    const bytes = Buffer.from([0x0a, 0x01, 0x53, 0x78, 0x05, 0x12, 0x01, 0x4d]); // field 15 varint between
    expect(ttrpc.Request.decode(bytes)).toMatchObject({ service: 'S', method: 'M' });
  });
});

describe('ttrpc.Response', () => {
  it('round-trips an error status with details', () => {
    const response: ttrpc.Response = {
      status: {
        code: rpc.Code.NOT_FOUND,
        message: 'container c1: not found',
        details: [{ typeUrl: 'x.Y', value: Buffer.from([1, 2]) }],
      },
      payload: Buffer.alloc(0),
    };
    expect(ttrpc.Response.decode(ttrpc.Response.encode(response).finish())).toEqual(response);
  });

  it('encodes status code 12 as nested field 1 of field 1', () => {
    const bytes = ttrpc.Response.encode({
      status: { code: rpc.Code.UNIMPLEMENTED, message: '', details: [] },
      payload: Buffer.from([0x01]),
    }).finish();
    expect([...bytes]).toEqual([0x0a, 0x02, 0x08, 0x0c, 0x12, 0x01, 0x01]);
  });

  it('an OK response with an empty status still carries the status field', () => {
    const bytes = ttrpc.Response.encode({ status: { code: 0, message: '', details: [] }, payload: Buffer.alloc(0) }).finish();
    expect([...bytes]).toEqual([0x0a, 0x00]);
    expect(ttrpc.Response.decode(bytes).status?.code).toBe(0);
  });
});
