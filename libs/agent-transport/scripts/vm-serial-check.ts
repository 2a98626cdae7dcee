/**
 * The virtio-serial path in a real VM (QEMU, TCG or KVM): guest Node with listen('serial://...')
 * on /dev/vportNpM, kata-proxy on QEMU's chardev socket, the shim's hvsock dialer on the host.
 * Not part of `nx test`: it needs a Debian kernel (an unpacked linux-image .deb, as the image
 * builder makes) and boots a VM. Prints what it checked and how long it took.
 *
 *   npx nx run proxy:build && npx tsx libs/agent-transport/scripts/vm-serial-check.ts --kernel-root <dir>
 *   (<dir> holds boot/vmlinuz-<release> and lib/modules/<release>/)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createDialer } from '../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const proxyBundle = join(here, '../../../apps/proxy/dist/kata-proxy.mjs');
const kernelRoot = process.argv[process.argv.indexOf('--kernel-root') + 1];
if (!process.argv.includes('--kernel-root') || !kernelRoot) throw new Error('usage: vm-serial-check.ts --kernel-root <dir>');
if (!existsSync(proxyBundle)) throw new Error(`${proxyBundle} missing: npx nx run proxy:build`);
const release = readdirSync(join(kernelRoot, 'lib/modules'))[0]!;
const modules = join(kernelRoot, 'lib/modules', release, 'kernel/drivers');
const MODULES = ['virtio/virtio_ring', 'virtio/virtio', 'virtio/virtio_pci_legacy_dev', 'virtio/virtio_pci_modern_dev', 'virtio/virtio_pci', 'char/virtio_console'];

const work = mkdtempSync(join(tmpdir(), 'vm-serial-'));
const children: ChildProcess[] = [];
const t0 = performance.now();
const t = () => `${((performance.now() - t0) / 1000).toFixed(2)}s`;
const say = (line: string) => process.stdout.write(`${line}\n`);
process.on('exit', () => {
  children.forEach((c) => c.kill('SIGKILL'));
  rmSync(work, { recursive: true, force: true });
});

// The initrd: busybox, node and its libraries, the virtio modules, the bundled guest program.
const root = join(work, 'root');
for (const d of ['bin', 'usr/bin', 'opt', 'mods', 'proc', 'sys', 'dev', 'lib64', 'lib/x86_64-linux-gnu']) mkdirSync(join(root, d), { recursive: true });
copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
copyFileSync(process.execPath, join(root, 'usr/bin/node'));
for (const line of execFileSync('ldd', [process.execPath], { encoding: 'utf8' }).split('\n')) {
  const lib = /(\/\S+\.so[.\d]*)/.exec(line)?.[1];
  if (lib) copyFileSync(lib, join(root, lib.startsWith('/lib64') ? 'lib64' : 'lib/x86_64-linux-gnu', lib.split('/').pop()!));
}
for (const m of MODULES) copyFileSync(join(modules, `${m}.ko`), join(root, 'mods', `${m.split('/')[1]}.ko`));
await build({
  entryPoints: [join(here, 'vm-serial-guest.ts')],
  outfile: join(root, 'opt/guest.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const insmods = MODULES.map((m) => `/bin/busybox insmod /mods/${m.split('/')[1]}.ko`).join('\n');
writeFileSync(
  join(root, 'init'),
  `#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\n/bin/busybox mount -t sysfs sysfs /sys\n/bin/busybox mount -t devtmpfs devtmpfs /dev\n${insmods}\nexec /usr/bin/node /opt/guest.mjs\n`,
);
chmodSync(join(root, 'init'), 0o755);
execFileSync('sh', ['-c', `cd ${root} && find . | cpio -o -H newc --quiet > ${work}/initrd.cpio`]);
say(`${t()} initrd built`);

const chardev = join(work, 'agent.sock');
const hvsock = join(work, 'kata.hvsock');
const kvm = existsSync('/dev/kvm') && process.env.KVM === '1';
const qemu = spawn(
  'qemu-system-x86_64',
  [
    '-machine', 'pc', '-accel', kvm ? 'kvm' : 'tcg,tb-size=64', '-m', '512', '-nographic', '-nodefaults', '-no-reboot',
    '-serial', 'stdio', '-kernel', join(kernelRoot, 'boot', `vmlinuz-${release}`), '-initrd', join(work, 'initrd.cpio'),
    '-append', 'console=ttyS0 quiet panic=-1',
    '-device', 'virtio-serial-pci', '-chardev', `socket,id=agent,path=${chardev},server=on,wait=off`,
    '-device', 'virtserialport,chardev=agent,name=agent.channel.0',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
children.push(qemu);
qemu.stdout!.on('data', (d: Buffer) => {
  for (const line of d.toString().split('\n')) if (line.includes('MARK')) say(`${t()} guest: ${line.trim()}`);
});
setTimeout(() => {
  say('FAILED: no result within 180 s');
  process.exit(1);
}, 180_000).unref();

function startProxy(): Promise<ChildProcess> {
  const args = [proxyBundle, '--channel', chardev, '--listen', hvsock, '--ready-fd', '3', '--log', join(work, 'proxy.log')];
  const proxy = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
  children.push(proxy);
  return new Promise((resolve) => (proxy.stdio[3] as Readable).once('data', () => resolve(proxy)));
}
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
function check(what: string, ok: boolean): void {
  say(`${t()} ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}

// The shim's order: QEMU, then the proxy, then dial at once while the guest still boots.
let proxy = await startProxy();
const agent = createDialer(`hvsock://${hvsock}:1024`);
let dialStart = performance.now();
let stream = await agent.dial({ timeoutMs: 150_000 });
check(`dialed the agent port during boot (${((performance.now() - dialStart) / 1000).toFixed(1)} s after the proxy was ready)`, true);
stream.end('ping');
check('echo over virtio-serial', (await readAll(stream)).toString() === 'ping');

const payload = randomBytes(4 << 20);
stream = await agent.dial();
const started = performance.now();
const echoed = readAll(stream);
stream.end(payload);
const back = await echoed;
const seconds = (performance.now() - started) / 1000;
const same = createHash('sha256').update(back).digest('hex') === createHash('sha256').update(payload).digest('hex');
check(`4 MiB echoed intact (${(8 / seconds).toFixed(2)} MiB/s both ways, ${kvm ? 'KVM' : 'TCG'})`, same);

const consoleText = (await readAll(await createDialer(`hvsock://${hvsock}:1026`).dial())).toString();
check('second port on the same channel (1026)', consoleText === 'console here\n');
const refused = await createDialer(`hvsock://${hvsock}:2000`).dial({ timeoutMs: 500 }).catch((e: { code?: string }) => e);
check('unknown port refused, dialer times out', (refused as { code?: string }).code === 'DIAL_TIMEOUT');
const many = await Promise.all(
  Array.from({ length: 20 }, async (_, i) => {
    const s = await agent.dial();
    s.end(`m${i}`);
    return (await readAll(s)).toString() === `m${i}`;
  }),
);
check('20 concurrent connections', many.every(Boolean));

proxy.kill('SIGTERM');
await new Promise((resolve) => proxy.once('exit', resolve));
check('proxy exits 0 on SIGTERM', proxy.exitCode === 0);
proxy = await startProxy();
dialStart = performance.now();
stream = await agent.dial({ timeoutMs: 20_000 });
stream.end('again');
check(`a new proxy reaches the agent (${Math.round(performance.now() - dialStart)} ms): the guest reopened its port`, (await readAll(stream)).toString() === 'again');

qemu.kill('SIGTERM');
const code = await new Promise((resolve) => proxy.once('exit', resolve));
check('proxy exits 0 when QEMU goes away', code === 0 && !existsSync(hvsock));
process.exit();
