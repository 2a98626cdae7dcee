import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { AGENT_CHANNEL_NAME, AGENT_PORT } from '@kata-ts/guest-contract';

/** In the VM: vsock when the guest has /dev/vsock, the serial channel when QEMU gave one. */
export function guestChannels(): string[] {
  const uris: string[] = [];
  if (existsSync('/dev/vsock')) uris.push(`vsock://-1:${AGENT_PORT}`);
  if (hasVirtioPort(AGENT_CHANNEL_NAME)) uris.push(`serial://${AGENT_CHANNEL_NAME}:${AGENT_PORT}`);
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
