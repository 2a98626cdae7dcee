import { describe, expect, it } from 'vitest';
import { google, packAny, packOciProcess, ProtocolError, rpc, ttrpc, unpackAny, unpackAnyAs } from './index';
import { OCI_PROCESS_TYPE_URL } from './json-any';

describe('packAny / unpackAny', () => {
  it('writes the bare full name, as containerd does', () => {
    const any = packAny(ttrpc.KeyValue, { key: 'a', value: 'b' });
    expect(any.typeUrl).toBe('ttrpc.KeyValue');
    expect(ttrpc.KeyValue.decode(any.value)).toEqual({ key: 'a', value: 'b' });
  });

  it('reads both the bare and the type.googleapis.com form through the registry', () => {
    const status = { code: 5, message: 'gone', details: [] };
    const bare = packAny(rpc.Status, status);
    const prefixed = { ...bare, typeUrl: `type.googleapis.com/${bare.typeUrl}` };
    for (const any of [bare, prefixed]) {
      expect(unpackAny(any)).toEqual({ typeName: 'google.rpc.Status', message: status });
      expect(unpackAnyAs(rpc.Status, any)).toEqual(status);
    }
  });

  it('survives an Any encode/decode on the wire', () => {
    const any = packAny(google.Timestamp, { seconds: 1_700_000_000, nanos: 5 });
    const decoded = google.Any.decode(google.Any.encode(any).finish());
    expect(unpackAnyAs(google.Timestamp, decoded)).toEqual({ seconds: 1_700_000_000, nanos: 5 });
  });

  it('rejects unknown and mismatched types with stable codes', () => {
    const unknown = { typeUrl: 'no.such.Type', value: Buffer.alloc(0) };
    expect(() => unpackAny(unknown)).toThrow(expect.objectContaining({ code: 'ANY_UNKNOWN_TYPE' }));
    const kv = packAny(ttrpc.KeyValue, { key: 'a', value: 'b' });
    expect(() => unpackAnyAs(rpc.Status, kv)).toThrow(ProtocolError);
    expect(() => unpackAnyAs(rpc.Status, kv)).toThrow(expect.objectContaining({ code: 'ANY_TYPE_MISMATCH' }));
  });
});

describe('OCI Process JSON Any', () => {
  it('packs the process as JSON under the runtime-spec type URL', () => {
    const process = { terminal: false, user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo hi'], cwd: '/' };
    const any = packOciProcess(process);
    expect(any.typeUrl).toBe(OCI_PROCESS_TYPE_URL);
    expect(JSON.parse(any.value.toString('utf8'))).toEqual(process);
  });
});
