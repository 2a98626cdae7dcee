import { describe, expect, it } from 'vitest';
import { agent, ttrpc } from '@kata-ts/protocols';
import { appendBytesField, encodeMessage, SPLICE_MIN } from './encode-message';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './envelope';
import { encodeFrameParts, HEADER_LENGTH, MessageType } from './frame';
import { FrameDecoder } from './frame-decoder';

const join = (parts: readonly Uint8Array[]) => Buffer.concat(parts);

describe('encodeMessage', () => {
  it('leaves a large top-level bytes value where it is: the same memory is a part of the encoding', () => {
    const data = Buffer.alloc(SPLICE_MIN, 7);
    const parts = encodeMessage(agent.ReadStreamResponse, { data });
    expect(parts).toContain(data);
    expect(agent.ReadStreamResponse.decode(join(parts)).data).toEqual(data);
  });

  it('copies small values and values inside nested messages, and encodes what the generated writer does', () => {
    const small = encodeMessage(agent.WriteStreamRequest, { containerId: 'c', execId: 'e', data: Buffer.alloc(SPLICE_MIN - 1, 1) });
    expect(small).toHaveLength(1);
    const nested = { status: { code: 2, message: 'x', details: [{ typeUrl: 't', value: Buffer.alloc(SPLICE_MIN, 3) }] }, payload: Buffer.alloc(0) };
    const parts = encodeMessage(ttrpc.Response, nested as ttrpc.Response);
    expect(parts).toHaveLength(1);
    expect(join(parts)).toEqual(Buffer.from(ttrpc.Response.encode(nested as ttrpc.Response).finish()));
  });

  it('splices fields after a large one in order (containerId after data)', () => {
    const data = Buffer.alloc(SPLICE_MIN * 2, 9);
    const message = { containerId: 'ctr', execId: 'exec', data };
    const parts = encodeMessage(agent.WriteStreamRequest, message);
    expect(agent.WriteStreamRequest.decode(join(parts))).toEqual(message);
    expect(join(parts)).toEqual(Buffer.from(agent.WriteStreamRequest.encode(message).finish()));
  });
});

describe('envelopes with a spliced payload', () => {
  const data = Buffer.alloc(SPLICE_MIN * 4, 5);
  const payload = encodeMessage(agent.ReadStreamResponse, { data });

  it('a Response carries the payload parts uncopied and decodes to the same message', () => {
    const parts = encodeResponse({ code: 0, message: '', details: [] }, payload);
    expect(parts).toContain(data);
    const decoded = decodeResponse(join(parts));
    expect(decoded.status?.code).toBe(0);
    expect(agent.ReadStreamResponse.decode(decoded.payload).data).toEqual(data);
  });

  it('a Request puts the payload after the other fields; readers take fields in any order', () => {
    const parts = encodeRequest({ service: 's', method: 'm', timeoutNano: 5, metadata: [{ key: 'k', value: 'v' }] }, payload);
    expect(decodeRequest(join(parts))).toEqual({ service: 's', method: 'm', timeoutNano: 5, metadata: [{ key: 'k', value: 'v' }], payload: join(payload) });
  });

  it('an empty payload is omitted, as proto3 does', () => {
    expect(appendBytesField([Buffer.from('x')], 2, [])).toEqual([Buffer.from('x')]);
  });

  it('a frame is the header merged with small parts, then the large part itself', () => {
    const frame = encodeFrameParts(3, MessageType.Response, 0, encodeResponse(undefined, payload));
    expect(frame).toHaveLength(2);
    expect(frame[1]!.buffer).toBe(data.buffer);
    const [event] = new FrameDecoder().push(join(frame));
    expect(event).toMatchObject({ kind: 'frame', header: { streamId: 3, type: MessageType.Response, length: join(frame).length - HEADER_LENGTH } });
  });
});
