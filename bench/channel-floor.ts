/**
 * The raw agent channel, both ways: no mux, no ttrpc, no agent, no proxy, no shim. A guest image
 * whose "agent" (run by the same PID 1 and Node as the real one) waits for one byte from the host,
 * writes `bytes × samples` zeros to the agent's virtio-serial port in 64 KiB writes (read from
 * QEMU's chardev socket on the host: the floor under stdout), then reads `bytes × samples` from
 * the port, answering one byte after each `bytes` (the floor under stdin: the guest's driver hands
 * out at most a page per read).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_CHANNEL_NAME } from '@kata-ts/guest-contract';
import { buildGuestImage, findRepoRoot } from '@kata-ts/image-builder';
import { bootGuest } from '@kata-ts/testing';

const guestProgram = (bytes: number, samples: number) => `import { existsSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
const byName = readdirSync('/sys/class/virtio-ports').find((p) => readFileSync('/sys/class/virtio-ports/' + p + '/name', 'utf8').trim() === '${AGENT_CHANNEL_NAME}');
const dev = existsSync('/dev/virtio-ports/${AGENT_CHANNEL_NAME}') ? '/dev/virtio-ports/${AGENT_CHANNEL_NAME}' : '/dev/' + byName;
const fd = openSync(dev, 'r+');
readSync(fd, Buffer.alloc(1));
const chunk = Buffer.alloc(65536);
for (let left = ${bytes * samples}; left > 0; ) left -= writeSync(fd, chunk, 0, Math.min(left, chunk.length));
for (let sample = 0; sample < ${samples}; sample++) {
  for (let left = ${bytes}; left > 0; ) left -= readSync(fd, chunk, 0, Math.min(left, chunk.length));
  writeSync(fd, Buffer.from('a'));
}
setInterval(() => {}, 1 << 30);
`;

export interface ChannelFloor {
  /** MiB/s guest → host (medians of the samples). */
  out: number;
  /** MiB/s host → guest. */
  in: number;
}

const MIB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Bytes through the raw channel each way, `samples` transfers of `bytes` in one booted guest. */
export async function channelFloor(bytes: number, samples: number, accelerator: 'kvm' | 'tcg'): Promise<ChannelFloor> {
  const repo = findRepoRoot();
  const agentDir = mkdtempSync(join(tmpdir(), 'channel-floor-agent-'));
  try {
    writeFileSync(join(agentDir, 'kata-agent.mjs'), guestProgram(bytes, samples), { mode: 0o755 });
    const image = await buildGuestImage({ outDir: join(repo, 'build', 'guest-channel-floor'), cacheDir: join(repo, 'build', 'guest', '.cache'), agentDir });
    const guest = await bootGuest({ kernel: image.vmlinux, initrd: image.initrd, accelerator });
    try {
      const channel = guest.vm.agentChannel();
      if (channel.kind !== 'serial') throw new Error(`channel floor: the guest's agent channel is ${channel.kind}, not virtio-serial`);
      const socket = connect(channel.socketPath);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      try {
        return { out: median(await fromGuest(socket, bytes, samples)), in: median(await toGuest(socket, bytes, samples)) };
      } finally {
        socket.destroy();
      }
    } finally {
      await guest.destroy();
    }
  } finally {
    rmSync(agentDir, { recursive: true, force: true });
  }
}

/** MiB/s of each `bytes` the guest writes; the clock starts at the first byte, not at its boot. */
async function fromGuest(socket: Socket, bytes: number, samples: number): Promise<number[]> {
  const rates: number[] = [];
  let got = 0;
  let mark = 0;
  let t0 = 0;
  const done = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      if (!t0) t0 = performance.now();
      got += b.length;
      while (got - mark >= bytes && rates.length < samples) {
        const now = performance.now();
        rates.push(bytes / MIB / ((now - t0) / 1000));
        mark += bytes;
        t0 = now;
      }
      if (rates.length >= samples) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    setTimeout(() => reject(new Error(`channel floor: ${got} of ${bytes * samples} bytes after 10 minutes`)), 600_000).unref();
  });
  // The guest may still be booting: say go until it answers.
  const go = setInterval(() => got === 0 && socket.write('g'), 1_000);
  socket.write('g');
  await done.finally(() => clearInterval(go));
  return rates;
}

/** MiB/s of each `bytes` written to the guest, until its one-byte answer. */
async function toGuest(socket: Socket, bytes: number, samples: number): Promise<number[]> {
  const rates: number[] = [];
  const data = Buffer.alloc(bytes, 'x');
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const answered = new Promise<void>((resolve, reject) => {
      socket.once('data', () => resolve());
      setTimeout(() => reject(new Error('channel floor: the guest did not answer within 10 minutes')), 600_000).unref();
    });
    socket.write(data);
    await answered;
    rates.push(bytes / MIB / ((performance.now() - t0) / 1000));
  }
  return rates;
}
