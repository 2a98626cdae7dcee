/**
 * The README's first command (tools/demo runs this after tools/setup): builds everything and the
 * guest image, installs to a prefix, starts a private containerd, imports a locally built busybox
 * image and runs `uname -a` in a kata-ts container, printing host and guest kernels side by side.
 * Usage: demo.ts [--prefix DIR]
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Progress } from './progress';
import { runCommand } from './run-command';
import { sideBySide } from './side-by-side';
import { importBusyboxImage, startContainerd, type PrivateContainerd } from '@kata-ts/testing';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const argPrefix = process.argv.indexOf('--prefix');
const prefix = argPrefix >= 0 ? resolve(process.env.DEMO_CALLER_CWD ?? process.cwd(), process.argv[argPrefix + 1] ?? '') : join(repo, '.work/kata');
const work = join(repo, '.work/demo');
const configPath = join(prefix, 'share/defaults/kata-containers/configuration.toml');
// buildBusyboxImage caches the image tar here, so a second run skips building it.
process.env.KATA_TS_CACHE_DIR ??= join(repo, '.work/cache');
const nxEnv = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' };

// npm's complaint about a user's npmrc says nothing about the demo.
const NOISE = /^npm warn Unknown (env|user) config/;
const quiet = (log: (line: string) => void) => (line: string) => NOISE.test(line) || log(line);

const progress = new Progress(7);
let containerd: PrivateContainerd | undefined;
const stopContainerd = async (): Promise<void> => {
  const c = containerd;
  containerd = undefined;
  await c?.stop();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\ndemo: ${signal}: stopping containerd\n`);
    void stopContainerd().finally(() => process.exit(130));
  });
}

try {
  mkdirSync(work, { recursive: true });
  await progress.step('build every project (nx run-many -t build; cached after the first run)', (log) =>
    runCommand('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static'], { cwd: repo, env: nxEnv, onLine: quiet(log) }),
  );
  await progress.step('build the guest kernel + initrd (tools/build-guest-image; cached)', (log) =>
    runCommand(join(repo, 'tools/build-guest-image'), [], { cwd: repo, env: nxEnv, onLine: quiet(log) }),
  );
  await progress.step(`install to ${prefix} (tools/install.sh)`, (log) =>
    runCommand(join(repo, 'tools/install.sh'), ['--prefix', prefix], { cwd: repo, onLine: quiet(log) }),
  );
  const ctrd = await progress.step(`start a private containerd (root, state and socket under ${work}/containerd)`, async (log) => {
    const started = await startContainerd({ dir: join(work, 'containerd'), shimBinDir: join(prefix, 'bin'), kataConfigPath: configPath, logLevel: 'info' });
    log(`containerd answers on ${started.address}`);
    return started;
  });
  containerd = ctrd;
  const address = ctrd.address;
  await progress.step('kata-runtime check', (log) =>
    runCommand(join(prefix, 'bin/kata-runtime'), ['check', '--containerd-address', address], {
      env: { ...process.env, KATA_CONF_FILE: configPath },
      onLine: log,
    }),
  );
  const image = await progress.step('import a busybox image built locally from busybox-static (ctr image import)', async (log) => {
    const name = await importBusyboxImage(ctrd);
    log(name);
    return name;
  });
  const id = `demo-${process.pid}`;
  const guest = await progress.step(`ctr run --runtime io.containerd.kata.v2 --rm ${image} ${id} uname -a`, async (log) => {
    const run = ['run', '--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath, '--rm', image, id, 'uname', '-a'];
    const r = await ctrd.ctr(run, { timeoutMs: 300_000 });
    for (const line of `${r.stdout}${r.stderr}`.split('\n')) log(line);
    if (r.code !== 0) throw new Error(`ctr ${run.join(' ')} exited with ${r.code ?? r.signal}:\n${r.stderr}\ncontainerd log:\n${ctrd.logTail(20)}`);
    return r.stdout;
  });
  const host = await runCommand('uname', ['-a'], { capture: true });
  await stopContainerd();
  process.stdout.write(`\n${sideBySide(host.trim(), guest.trim())}`);
} catch (err) {
  process.stderr.write(`\ndemo failed: ${(err as Error).message}\n`);
  if (containerd) process.stderr.write(`containerd log: ${containerd.logPath}\n`);
  process.exitCode = 1;
} finally {
  await stopContainerd();
}
