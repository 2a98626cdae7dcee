// The guest program of vm-serial-check.ts: the agent's listen() on the real virtio-serial port.
import { listen } from '../src/index';

const mark = (text: string) => process.stdout.write(`MARK ${text} ${process.uptime().toFixed(2)}\n`);
await listen(
  'serial://agent.channel.0:1024',
  (stream) => {
    stream.on('error', () => {});
    stream.pipe(stream);
  },
  { reopenDelayMs: 50 },
);
await listen('serial://agent.channel.0:1026', (stream) => {
  stream.on('error', () => {});
  stream.end('console here\n');
});
mark('guest listening');
setInterval(() => {}, 1 << 30);
