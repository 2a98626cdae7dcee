import { describe, expect, it } from 'vitest';
import { stripModuleSignature } from './module-signature';

function signed(body: Buffer, signature: Buffer): Buffer {
  const info = Buffer.alloc(12);
  info.writeUInt32BE(signature.length, 8);
  return Buffer.concat([body, signature, info, Buffer.from('~Module signature appended~\n')]);
}

describe('stripModuleSignature', () => {
  it('removes the appended signature, leaving the ELF body', () => {
    const body = Buffer.from('\x7fELF...module body...');
    expect(stripModuleSignature(signed(body, Buffer.alloc(512, 7)))).toEqual(body);
  });

  it('leaves unsigned modules alone', () => {
    const body = Buffer.from('\x7fELF...unsigned...');
    expect(stripModuleSignature(body)).toBe(body);
  });
});
