import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_CHANNEL_NAME, AGENT_PORT } from '@kata-ts/guest-contract';

/** The virtio device id of a vsock device (virtio spec 5.10). */
const VIRTIO_ID_VSOCK = 0x13;

/**
 * In the VM: vsock when QEMU gave the guest a vsock device, the serial channel when it gave one.
 * /dev/vsock alone says nothing (the vsock module makes it with no device), and a vsock listener
 * without a device costs the agent's start the native addon's load (~85 ms under TCG) for a
 * channel nobody can reach. `sys`: sysfs (tests give another).
 */
export function guestChannels(sys = '/sys'): string[] {
  const uris: string[] = [];
  if (hasVirtioDevice(sys, VIRTIO_ID_VSOCK)) uris.push(`vsock://-1:${AGENT_PORT}`);
  if (hasVirtioPort(sys, AGENT_CHANNEL_NAME)) uris.push(`serial://${AGENT_CHANNEL_NAME}:${AGENT_PORT}`);
  return uris;
}

function hasVirtioDevice(sys: string, id: number): boolean {
  const devices = join(sys, 'bus/virtio/devices');
  return readdirQuiet(devices).some((d) => Number(readQuiet(join(devices, d, 'device'))) === id);
}

function hasVirtioPort(sys: string, name: string): boolean {
  if (existsSync(`/dev/virtio-ports/${name}`)) return true;
  const ports = join(sys, 'class/virtio-ports');
  return readdirQuiet(ports).some((p) => readQuiet(join(ports, p, 'name')).trim() === name);
}

function readdirQuiet(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readQuiet(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
