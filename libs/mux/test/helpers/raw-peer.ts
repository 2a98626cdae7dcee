import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { FrameDecoder } from '../../src/frame-decoder';
import { encodeHeader, Flag, FrameType, type FrameHeader } from '../../src/frame-header';

export interface RawFrame {
  header: FrameHeader;
  payload: Buffer;
}

/**
 * A hand-driven yamux peer: sends exact frames and records, byte for byte, what the session under
 * test writes. Stands in for hashicorp/yamux where no Go toolchain is available.
 */
export class RawPeer {
  readonly frames: RawFrame[] = [];
  readonly bytes: Buffer[] = [];
  #pingValue = 0x7000_0000;

  constructor(readonly socket: Duplex) {
    let current: RawFrame | undefined;
    const decoder = new FrameDecoder({
      header: (header) => (current = { header, payload: Buffer.alloc(0) }),
      data: (chunk) => {
        if (current) current.payload = Buffer.concat([current.payload, chunk]);
      },
      end: () => {
        if (current) this.frames.push(current);
        current = undefined;
      },
    });
    socket.on('data', (chunk: Buffer) => {
      this.bytes.push(chunk);
      decoder.push(chunk);
    });
    socket.on('error', () => {});
  }

  /** Everything received so far, as hex. */
  get hex(): string {
    return Buffer.concat(this.bytes).toString('hex');
  }

  send(header: FrameHeader, payload?: Buffer | string): void {
    const body = payload === undefined ? undefined : Buffer.from(payload);
    this.socket.write(body ? Buffer.concat([encodeHeader(header), body]) : encodeHeader(header));
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'hex') : bytes);
  }

  /** Resolves once `predicate` holds for the frames received. */
  async waitFor(predicate: (frames: RawFrame[]) => boolean): Promise<void> {
    while (!predicate(this.frames)) {
      if (this.socket.readableEnded || this.socket.destroyed) throw new Error('raw peer: socket closed while waiting');
      await Promise.race([once(this.socket, 'data'), once(this.socket, 'close'), once(this.socket, 'end')]);
    }
  }

  /**
   * A ping round trip: the session answers pings in order, so once the reply is here, every frame
   * the session wrote before it has arrived too. Lets tests assert "nothing more was sent".
   */
  async barrier(): Promise<void> {
    const value = this.#pingValue++;
    this.send({ type: FrameType.Ping, flags: Flag.SYN, streamId: 0, length: value });
    await this.waitFor((frames) =>
      frames.some((f) => f.header.type === FrameType.Ping && f.header.flags === Flag.ACK && f.header.length === value),
    );
  }

  /** Data payload bytes received on `streamId`. */
  dataBytes(streamId: number): number {
    return this.frames
      .filter((f) => f.header.type === FrameType.Data && f.header.streamId === streamId)
      .reduce((n, f) => n + f.payload.length, 0);
  }

  has(type: FrameType, flags: number, streamId: number, length?: number): boolean {
    return this.frames.some(
      (f) =>
        f.header.type === type &&
        f.header.flags === flags &&
        f.header.streamId === streamId &&
        (length === undefined || f.header.length === length),
    );
  }
}
