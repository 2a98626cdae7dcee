import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Kata's agent port on vsock and on the serial channel. */
export const AGENT_PORT = 1024;
export const SERIAL_PORT_NAME = 'agent.channel.0';

/** In the VM: vsock when the guest has /dev/vsock, the serial channel when QEMU gave one. */
export function guestChannels(): string[] {
  const uris: string[] = [];
  if (existsSync('/dev/vsock')) uris.push(`vsock://-1:${AGENT_PORT}`);
  if (hasVirtioPort(SERIAL_PORT_NAME)) uris.push(`serial://${SERIAL_PORT_NAME}:${AGENT_PORT}`);
  return uris;
}

function hasVirtioPort(name: string): boolean {
  if (existsSync(`/dev/virtio-ports/${name}`)) return true;
  try {
    return readdirSync('/sys/class/virtio-ports').some((p) => readFileSync(`/sys/class/virtio-ports/${p}/name`, 'utf8').trim() === name);
  } catch {
    return false;
  }
}
