import { statSync } from 'node:fs';
import { AGENT_CHANNEL_NAME } from '@kata-ts/guest-contract';
import { guestCpuModel, guestKernelParams, rootImageKernelParams } from '../guest-boot';
import { HypervisorError } from '../hypervisor-error';
import { TEMPLATE_MEMORY_FILE, type NetworkInterface, type VmConfig } from '../vm-config';

export const DEFAULT_QEMU_PATH = '/usr/bin/qemu-system-x86_64';
export const DEFAULT_TCG_TRANSLATION_CACHE_MIB = 64;

/** A path as one word for the /bin/sh QEMU runs `exec:` migration commands with. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** QEMU's option syntax doubles commas inside values. */
function escape(value: string): string {
  return value.replace(/,/g, ',,');
}

function requireAbsolute(name: string, path: string): void {
  if (!path.startsWith('/')) throw new HypervisorError('BAD_CONFIG', `${name} must be an absolute path, got ${JSON.stringify(path)}`);
}

const MiB = 1024 * 1024;
/** DAX maps the image in 2 MiB pages; QEMU's nvdimm wants its size aligned too. */
const IMAGE_ALIGNMENT = 2 * MiB;

function imageSize(path: string): number {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new HypervisorError('BAD_CONFIG', `image ${path}: ${(cause as Error).message}`);
  }
  if (size === 0 || size % IMAGE_ALIGNMENT !== 0)
    throw new HypervisorError('BAD_CONFIG', `image ${path} is ${size} bytes, not a multiple of 2 MiB: not a guest root image (tools/build-guest-image makes one)`);
  return size;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

function checkNic(nic: NetworkInterface): void {
  if (!/^[\w.-]{1,15}$/.test(nic.tapName)) throw new HypervisorError('BAD_CONFIG', `nic ${nic.id}: bad tap name ${JSON.stringify(nic.tapName)}`);
  if (!MAC.test(nic.mac)) throw new HypervisorError('BAD_CONFIG', `nic ${nic.id}: bad MAC address ${JSON.stringify(nic.mac)}`);
}

/** The tap QEMU opens by name (no scripts: the shim wired it); QMP's netdev_add takes the same fields. */
export function netdevArguments(nic: NetworkInterface): { type: 'tap'; id: string; ifname: string; script: string; downscript: string } {
  checkNic(nic);
  return { type: 'tap', id: nic.id, ifname: nic.tapName, script: 'no', downscript: 'no' };
}

/** virtio-net with the pod interface's MAC; no option ROM (the kernel is booted directly). */
export function nicDeviceArguments(nic: NetworkInterface): { driver: 'virtio-net-pci'; id: string; netdev: string; mac: string; romfile: string } {
  checkNic(nic);
  return { driver: 'virtio-net-pci', id: `${nic.id}-dev`, netdev: nic.id, mac: nic.mac.toLowerCase(), romfile: '' };
}

/** QEMU's most DIMM slots. */
const MAX_SLOTS = 256;

/**
 * `-m`: the boot RAM, and the slots and address space above it for the nvdimm holding the root
 * image (one slot, its size) and for hot-plugged DIMMs (VmConfig.memoryHotplug).
 */
function memoryOption(config: VmConfig, imageBytes: number): string {
  const hotplug = config.memoryHotplug;
  if (hotplug) {
    if (!Number.isInteger(hotplug.slots) || hotplug.slots < 1 || hotplug.slots >= MAX_SLOTS)
      throw new HypervisorError('BAD_CONFIG', `memory hot-plug slots must be an integer from 1 to ${MAX_SLOTS - 1}, got ${hotplug.slots}`);
    if (!Number.isInteger(hotplug.maxMiB) || hotplug.maxMiB < config.memoryMiB)
      throw new HypervisorError('BAD_CONFIG', `maximum memory (${hotplug.maxMiB} MiB) must be an integer no smaller than the boot memory (${config.memoryMiB} MiB)`);
  }
  const slots = (hotplug?.slots ?? 0) + (imageBytes ? 1 : 0);
  if (!slots) return String(config.memoryMiB);
  return `${config.memoryMiB}M,slots=${slots},maxmem=${(hotplug?.maxMiB ?? config.memoryMiB) + imageBytes / MiB}M`;
}

/** The command-line form (`head,key=value,…`) of what QMP takes as an object. */
function option(head: string, fields: Record<string, string>): string {
  return [head, ...Object.entries(fields).map(([k, v]) => `${k}=${escape(v)}`)].join(',');
}

/**
 * The QEMU argv (without the binary) for a sandbox VM. No -daemonize: the shim owns the process
 * and learns of its exit directly. -no-reboot turns a guest reboot or panic into QEMU exiting.
 */
export function qemuCommandLine(config: VmConfig): string[] {
  for (const [name, path] of [
    ['kernel', config.kernel],
    ['initrd', config.initrd],
    ['agentSocket', config.agentSocket],
    ['qmpSocket', config.qmpSocket],
  ] as const)
    requireAbsolute(name, path);
  if (!Number.isInteger(config.vcpus) || config.vcpus < 1) throw new HypervisorError('BAD_CONFIG', `vcpus must be a positive integer, got ${config.vcpus}`);
  if (!Number.isInteger(config.memoryMiB) || config.memoryMiB < 128) throw new HypervisorError('BAD_CONFIG', `memoryMiB must be an integer >= 128, got ${config.memoryMiB}`);

  const accel =
    config.accelerator === 'kvm' ? 'kvm' : `tcg,tb-size=${config.tcgTranslationCacheMiB ?? DEFAULT_TCG_TRANSLATION_CACHE_MIB}`;
  const machine = config.machineType ?? 'pc';
  if (config.image) requireAbsolute('image', config.image);
  const image = config.image ? { path: config.image, size: imageSize(config.image) } : undefined;
  const args = [
    '-name', escape(config.id),
    '-machine', `${machine},memory-backend=ram0${image ? ',nvdimm=on' : ''}`,
    '-accel', accel,
    '-cpu', guestCpuModel(config.accelerator),
    '-smp', String(config.vcpus),
    '-m', memoryOption(config, image?.size ?? 0),
    '-nographic', '-nodefaults', '-no-user-config', '-no-reboot',
    '-kernel', config.kernel,
    '-initrd', config.initrd,
    '-append', [...guestKernelParams(), ...(image ? rootImageKernelParams() : []), ...(config.kernelParams ?? [])].join(' '),
    '-qmp', `unix:${escape(config.qmpSocket)},server=on,wait=off`,
    '-serial', config.consoleLog ? `file:${escape(config.consoleLog)}` : 'null',
    '-chardev', `socket,id=agent,path=${escape(config.agentSocket)},server=on,wait=off`,
    '-device', 'virtio-serial-pci,id=serial0',
    '-device', `virtserialport,bus=serial0.0,chardev=agent,name=${AGENT_CHANNEL_NAME}`,
    // A new generation id on every QEMU start: a guest restored from a template reseeds its
    // random pool instead of sharing its template's (Linux' vmgenid driver).
    '-device', 'vmgenid,guid=auto',
  ];
  if (config.reclaimFreedMemory && !config.template) args.push('-device', 'virtio-balloon-pci,id=balloon0,free-page-reporting=on');
  if (!config.template) {
    // Guest RAM in a memfd, mapped privately, instead of anonymous memory, which QEMU madvises for
    // transparent huge pages: KSM merges nothing of THP-backed guests here, and a great deal of
    // these (their written pages are ordinary 4 KiB anonymous pages).
    args.push('-object', `memory-backend-memfd,id=ram0,size=${config.memoryMiB}M,share=off`);
  } else {
    requireAbsolute('template dir', config.template.dir);
    // A template's RAM is its memory file: mapped shared while the template is made (so saving
    // needs no copy of it), privately (copy-on-write) by each clone.
    const share = config.template.role === 'save' ? 'on' : 'off';
    const memPath = escape(`${config.template.dir}/${TEMPLATE_MEMORY_FILE}`);
    args.push('-object', `memory-backend-file,id=ram0,size=${config.memoryMiB}M,mem-path=${memPath},share=${share}`);
    // The device state is loaded over QMP once QEMU is up (it needs x-ignore-shared set first).
    if (config.template.role === 'restore') args.push('-incoming', 'defer');
  }
  if (image)
    // Read-only and shared: the guest cannot write the file, and every VM maps the same pages.
    // `unarmed` tells the guest the device is read-only (QEMU requires it with readonly=on).
    args.push(
      '-object', `memory-backend-file,id=rootimg,mem-path=${escape(image.path)},size=${image.size},share=on,readonly=on`,
      '-device', 'nvdimm,id=nv0,memdev=rootimg,unarmed=on',
    );
  if (config.vsock) args.push('-device', `vhost-vsock-pci,id=vsock0,guest-cid=${config.vsock.guestCid}`);
  for (const share of config.shares ?? []) {
    requireAbsolute(`share ${share.id}`, share.hostPath);
    args.push(
      '-fsdev', `local,id=${escape(share.id)},path=${escape(share.hostPath)},security_model=none${share.readonly ? ',readonly=on' : ''}`,
      '-device', `virtio-9p-pci,fsdev=${escape(share.id)},mount_tag=${escape(share.mountTag)}`,
    );
  }
  // A template's clone must have exactly its template's devices: its NICs are hot-plugged after
  // the resume (QemuHypervisor), a cold boot has them from the start.
  if (config.template?.role !== 'restore')
    for (const nic of config.nics ?? []) {
      const { type, ...netdev } = netdevArguments(nic);
      const { driver, ...device } = nicDeviceArguments(nic);
      args.push('-netdev', option(type, netdev), '-device', option(driver, device));
    }
  args.push(...(config.extraArgs ?? []));
  return args;
}
