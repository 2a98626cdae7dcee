import { constants, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { VsockError } from './errors';
import { socketFromFd } from './pipe-handle';

export interface VirtioPortRoots {
  /** Default /sys/class/virtio-ports. */
  sysfs?: string;
  /** Default /dev. */
  dev?: string;
}

/**
 * The device path of the virtio-serial port QEMU named `name` (`-device virtserialport,name=...`):
 * `/dev/virtio-ports/<name>` when udev made it, else the `vportNpM` whose sysfs `name` matches
 * (a guest without udev). A name starting with '/' is taken as the device path itself.
 */
export function findVirtioPort(name: string, roots: VirtioPortRoots = {}): string {
  if (name.startsWith('/')) return name;
  const dev = roots.dev ?? '/dev';
  const sysfs = roots.sysfs ?? '/sys/class/virtio-ports';
  const linked = join(dev, 'virtio-ports', name);
  if (existsSync(linked)) return linked;
  let ports: string[] = [];
  try {
    ports = readdirSync(sysfs);
  } catch {
    // No virtio-serial driver: fall through to the error below.
  }
  for (const port of ports) {
    try {
      if (readFileSync(join(sysfs, port, 'name'), 'utf8').trim() === name) return join(dev, port);
    } catch {
      // A port without a name attribute.
    }
  }
  throw new VsockError('DEVICE_NOT_FOUND', `no virtio-serial port named ${JSON.stringify(name)} (looked in ${linked} and ${sysfs}/*/name)`);
}

/**
 * Opens a character device (a virtio-serial port) as a net.Socket: the fd is non-blocking and
 * libuv polls it, so reads and writes never occupy the threadpool or block the loop (fs streams
 * would park a threadpool thread in read() for as long as the host is silent).
 */
export function openSerialPort(path: string): Socket {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (cause) {
    throw new VsockError('DEVICE_NOT_FOUND', `open ${path}: ${(cause as Error).message}`, { cause });
  }
  return socketFromFd(fd);
}
