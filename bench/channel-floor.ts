/**
 * The raw agent channel: bytes a guest program writes to the agent's virtio-serial port, read
 * from QEMU's chardev socket on the host: no mux, no ttrpc, no agent, no proxy, no shim. A guest
 * image whose "agent" (run by the same PID 1 and Node as the real one) waits for one byte from the
 * host, then writes `bytes` zeros in 64 KiB writes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_CHANNEL_NAME } from '@kata-ts/guest-contract';
import { buildGuestImage, findRepoRoot } from '@kata-ts/image-builder';
import { bootGuest } from '@kata-ts/testing';

const writer = (bytes: number) => `import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
const byName = readdirSync('/sys/class/virtio-ports').find((p) => readFileSync('/sys/class/virtio-ports/' + p + '/name', 'utf8').trim() === '${AGENT_CHANNEL_NAME}');
const dev = existsSync('/dev/virtio-ports/${AGENT_CHANNEL_NAME}') ? '/dev/virtio-ports/${AGENT_CHANNEL_NAME}' : '/dev/' + byName;
const fd = openSync(dev, 'r+');
readSync(fd, Buffer.alloc(1));
const chunk = Buffer.alloc(65536);
for (let left = ${bytes}; left > 0; ) left -= writeSync(fd, chunk, 0, Math.min(left, chunk.length));
setInterval(() => {}, 1 << 30);
`;

/** MiB/s of `bytes` through the raw channel, the median of `samples` transfers in one booted guest. */
export async function channelFloorMiBps(bytes: number, samples: number, accelerator: 'kvm' | 'tcg'): Promise<number> {
  const repo = findRepoRoot();
  const agentDir = mkdtempSync(join(tmpdir(), 'channel-floor-agent-'));
  const rates: number[] = [];
  try {
    writeFileSync(join(agentDir, 'kata-agent.mjs'), writer(bytes * samples), { mode: 0o755 });
    const image = await buildGuestImage({ outDir: join(repo, 'build', 'guest-channel-floor'), cacheDir: join(repo, 'build', 'guest', '.cache'), agentDir });
    const guest = await bootGuest({ kernel: image.vmlinux, initrd: image.initrd, accelerator });
    try {
      const channel = guest.vm.agentChannel();
      if (channel.kind !== 'serial') throw new Error(`channel floor: the guest's agent channel is ${channel.kind}, not virtio-serial`);
      const socket = connect(channel.socketPath);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      let got = 0;
      let mark = 0;
      let t0 = 0;
      const done = new Promise<void>((resolve, reject) => {
        socket.on('data', (b: Buffer) => {
          if (!t0) t0 = performance.now(); // the clock starts at the first byte: not the guest's boot
          got += b.length;
          while (got - mark >= bytes) {
            const now = performance.now();
            rates.push(bytes / (1024 * 1024) / ((now - t0) / 1000));
            mark += bytes;
            t0 = now;
          }
          if (rates.length >= samples) resolve();
        });
        socket.once('error', reject);
        setTimeout(() => reject(new Error(`channel floor: ${got} of ${bytes * samples} bytes after 10 minutes`)), 600_000).unref();
      });
      // The guest may still be booting: say go until it answers.
      const go = setInterval(() => got === 0 && socket.write('g'), 1_000);
      socket.write('g');
      await done.finally(() => clearInterval(go));
      socket.destroy();
    } finally {
      await guest.destroy();
    }
  } finally {
    rmSync(agentDir, { recursive: true, force: true });
  }
  return [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)]!;
}
