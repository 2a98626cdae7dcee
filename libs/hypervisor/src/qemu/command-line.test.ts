import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guestKernelParams, rootImageKernelParams } from '../guest-boot';
import { HypervisorError } from '../hypervisor-error';
import type { VmConfig } from '../vm-config';
import { qemuCommandLine } from './command-line';

const base: VmConfig = {
  id: 'sb1',
  kernel: '/k/vmlinux.container',
  initrd: '/k/initrd.img',
  accelerator: 'tcg',
  vcpus: 1,
  memoryMiB: 512,
  agentSocket: '/run/sb1/agent.sock',
  qmpSocket: '/run/sb1/qmp.sock',
};

/** The value following each occurrence of `flag`. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('qemuCommandLine', () => {
  it('boots kernel + initrd under capped TCG with the agent serial channel and QMP', () => {
    const args = qemuCommandLine(base);
    expect(values(args, '-accel')).toEqual(['tcg,tb-size=64']);
    expect(values(args, '-cpu')).toEqual(['max']);
    // Guest RAM is a private memfd mapping, not anonymous memory QEMU would madvise for THP.
    expect(values(args, '-machine')).toEqual(['pc,memory-backend=ram0']);
    expect(values(args, '-object')).toEqual(['memory-backend-memfd,id=ram0,size=512M,share=off']);
    expect(values(args, '-m')).toEqual(['512']);
    expect(values(args, '-smp')).toEqual(['1']);
    expect(values(args, '-kernel')).toEqual(['/k/vmlinux.container']);
    expect(values(args, '-initrd')).toEqual(['/k/initrd.img']);
    expect(values(args, '-append')).toEqual([guestKernelParams().join(' ')]);
    expect(values(args, '-qmp')).toEqual(['unix:/run/sb1/qmp.sock,server=on,wait=off']);
    expect(values(args, '-chardev')).toEqual(['socket,id=agent,path=/run/sb1/agent.sock,server=on,wait=off']);
    expect(values(args, '-device')).toEqual(['virtio-serial-pci,id=serial0', 'virtserialport,bus=serial0.0,chardev=agent,name=agent.channel.0', 'vmgenid,guid=auto']);
    expect(args).not.toContain('-incoming');
    expect(args).toEqual(expect.arrayContaining(['-nographic', '-nodefaults', '-no-user-config', '-no-reboot']));
    expect(args).not.toContain('-daemonize');
    expect(values(args, '-serial')).toEqual(['null']);
  });

  it('uses KVM with the host CPU, vhost-vsock, 9p shares, a console log and extra kernel params', () => {
    const args = qemuCommandLine({
      ...base,
      accelerator: 'kvm',
      machineType: 'q35',
      vcpus: 2,
      vsock: { guestCid: 7 },
      shares: [{ id: 'extra-9p-kataShared', hostPath: '/run/kata/sb1/shared', mountTag: 'kataShared' }],
      consoleLog: '/run/sb1/console,log',
      kernelParams: ['agent.log=debug'],
    });
    expect(values(args, '-accel')).toEqual(['kvm']);
    expect(values(args, '-cpu')).toEqual(['host']);
    expect(values(args, '-machine')).toEqual(['q35,memory-backend=ram0']);
    expect(values(args, '-smp')).toEqual(['2']);
    expect(values(args, '-device')).toContain('vhost-vsock-pci,id=vsock0,guest-cid=7');
    expect(values(args, '-fsdev')).toEqual(['local,id=extra-9p-kataShared,path=/run/kata/sb1/shared,security_model=none']);
    expect(values(args, '-device')).toContain('virtio-9p-pci,fsdev=extra-9p-kataShared,mount_tag=kataShared');
    // Commas in values are doubled, QEMU's escape.
    expect(values(args, '-serial')).toEqual(['file:/run/sb1/console,,log']);
    expect(values(args, '-append')[0]).toMatch(/ agent\.log=debug$/);
  });

  it('maps a template memory file shared to make a template, privately to clone one', () => {
    const save = qemuCommandLine({ ...base, template: { dir: '/run/tpl,a', role: 'save' } });
    expect(values(save, '-machine')).toEqual(['pc,memory-backend=ram0']);
    expect(values(save, '-object')).toEqual([`memory-backend-file,id=ram0,size=${base.memoryMiB}M,mem-path=/run/tpl,,a/memory,share=on`]);
    expect(save).not.toContain('-incoming');
    const restore = qemuCommandLine({ ...base, template: { dir: '/run/tpl,a', role: 'restore' } });
    expect(values(restore, '-object')).toEqual([`memory-backend-file,id=ram0,size=${base.memoryMiB}M,mem-path=/run/tpl,,a/memory,share=off`]);
    // The state is loaded over QMP (x-ignore-shared must be set first).
    expect(values(restore, '-incoming')).toEqual(['defer']);
    expect(() => qemuCommandLine({ ...base, template: { dir: 'tpl', role: 'restore' } })).toThrow(/template dir must be an absolute path/);
  });

  it('adds a virtio-balloon with free page reporting when asked, never to a template or its clone', () => {
    const balloon = (args: string[]) => values(args, '-device').filter((d) => d.startsWith('virtio-balloon'));
    expect(balloon(qemuCommandLine(base))).toEqual([]);
    expect(balloon(qemuCommandLine({ ...base, reclaimFreedMemory: true }))).toEqual(['virtio-balloon-pci,id=balloon0,free-page-reporting=on']);
    for (const role of ['save', 'restore'] as const)
      expect(balloon(qemuCommandLine({ ...base, reclaimFreedMemory: true, template: { dir: '/run/tpl', role } }))).toEqual([]);
  });

  it('gives each NIC its tap (opened by name, no scripts) and a virtio-net device with the pod MAC; a clone gets them hot-plugged instead', () => {
    const nics = [{ id: 'net0', tapName: 'tap0_kata', mac: '0A:58:0a:00:00:05' }];
    const args = qemuCommandLine({ ...base, nics });
    expect(values(args, '-netdev')).toEqual(['tap,id=net0,ifname=tap0_kata,script=no,downscript=no']);
    expect(values(args, '-device')).toContain('virtio-net-pci,id=net0-dev,netdev=net0,mac=0a:58:0a:00:00:05,romfile=');
    const clone = qemuCommandLine({ ...base, nics, template: { dir: '/run/tpl', role: 'restore' } });
    expect(clone).not.toContain('-netdev');
    expect(() => qemuCommandLine({ ...base, nics: [{ ...nics[0]!, mac: '0a:58:0a:00:00' }] })).toThrow(/nic net0: bad MAC address/);
    expect(() => qemuCommandLine({ ...base, nics: [{ ...nics[0]!, tapName: 'tap0,script=/x' }] })).toThrow(/nic net0: bad tap name/);
  });

  it('rejects relative paths and impossible sizes', () => {
    expect(() => qemuCommandLine({ ...base, kernel: 'vmlinux' })).toThrow(HypervisorError);
    expect(() => qemuCommandLine({ ...base, vcpus: 0 })).toThrow(/vcpus/);
    expect(() => qemuCommandLine({ ...base, memoryMiB: 64 })).toThrow(/memoryMiB/);
  });

  it('reserves slots and address space for memory hot-plug, and refuses impossible ones', () => {
    expect(values(qemuCommandLine(base), '-m')).toEqual(['512']);
    expect(values(qemuCommandLine({ ...base, memoryHotplug: { slots: 10, maxMiB: 4096 } }), '-m')).toEqual(['512M,slots=10,maxmem=4096M']);
    expect(() => qemuCommandLine({ ...base, memoryHotplug: { slots: 0, maxMiB: 4096 } })).toThrow(/slots must be an integer from 1 to 255, got 0/);
    expect(() => qemuCommandLine({ ...base, memoryHotplug: { slots: 2, maxMiB: 256 } })).toThrow(/maximum memory \(256 MiB\) must be .* no smaller than the boot memory \(512 MiB\)/);
  });

  describe('with a root image (Kata `image`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmdline-image-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const image = (name: string, size: number): string => {
      const path = join(dir, name);
      writeFileSync(path, '');
      truncateSync(path, size);
      return path;
    };

    it('maps it read-only and shared as an unarmed DAX nvdimm above the RAM, and boots from it', () => {
      const path = image('root,1.img', 64 * 1024 * 1024);
      const args = qemuCommandLine({ ...base, image: path, kernelParams: ['agent.log=debug'] });
      expect(values(args, '-machine')).toEqual(['pc,memory-backend=ram0,nvdimm=on']);
      expect(values(args, '-m')).toEqual(['512M,slots=1,maxmem=576M']);
      expect(values(args, '-object')).toEqual([
        'memory-backend-memfd,id=ram0,size=512M,share=off',
        `memory-backend-file,id=rootimg,mem-path=${path.replace(',', ',,')},size=67108864,share=on,readonly=on`,
      ]);
      expect(values(args, '-device')).toContain('nvdimm,id=nv0,memdev=rootimg,unarmed=on');
      // The nvdimm takes one slot and its size above whatever hot-plug reserves.
      expect(values(qemuCommandLine({ ...base, image: path, memoryHotplug: { slots: 4, maxMiB: 2048 } }), '-m')).toEqual(['512M,slots=5,maxmem=2112M']);
      expect(values(args, '-initrd')).toEqual(['/k/initrd.img']);
      expect(values(args, '-append')).toEqual([[...guestKernelParams(), ...rootImageKernelParams(), 'agent.log=debug'].join(' ')]);
    });

    it('refuses an image that is missing, relative or not a multiple of 2 MiB, naming it', () => {
      expect(() => qemuCommandLine({ ...base, image: join(dir, 'nope.img') })).toThrow(/image .*nope\.img: ENOENT/);
      expect(() => qemuCommandLine({ ...base, image: 'root.img' })).toThrow(/image must be an absolute path/);
      const odd = image('odd.img', 3 * 1024 * 1024);
      expect(() => qemuCommandLine({ ...base, image: odd })).toThrow(HypervisorError);
      expect(() => qemuCommandLine({ ...base, image: odd })).toThrow(/odd\.img is 3145728 bytes, not a multiple of 2 MiB/);
    });
  });
});
