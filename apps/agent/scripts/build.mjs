// Builds dist/: kata-agent.mjs (src/loader.ts) running kata-agent.bundle.js (src/main.ts and all it
// imports) from its V8 code cache kata-agent.bundle.cache, kata-agent-monitor and kata-agent-sys
// (native helpers), and the native addon the bundle loads (libs/agent-transport's vsock.node) beside it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../../tools/build-app.mjs';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(app, 'dist');
mkdirSync(dist, { recursive: true });

// V8 checks a code cache against the source's length only: never leave one beside a new bundle.
rmSync(join(dist, 'kata-agent.bundle.cache'), { force: true });
await buildApp({ entry: join(app, 'src/main.ts'), outfile: join(dist, 'kata-agent.bundle.js'), vmScript: true, alias: { assert: join(app, 'src/assert.cjs') } });
await buildApp({ entry: join(app, 'src/loader.ts'), outfile: join(dist, 'kata-agent.mjs') });

// The code cache: the loader writes it once the agent listens, then stops the agent. This node
// must be the guest's (the image copies the host's), in a fixed environment (no NODE_OPTIONS: V8
// rejects a cache made under other flags). --random-seed fixes V8's hash seed, without which every
// cache differs (the image must be reproducible); V8 leaves that flag out of the cache's check.
const scratch = mkdtempSync(join(tmpdir(), 'kata-agent-cache-'));
try {
  execFileSync(process.execPath, ['--random-seed=1', join(dist, 'kata-agent.mjs'), '--listen', `unix://${join(scratch, 'agent.sock')}`, '--root', join(scratch, 'root'), '--log-level', 'info'], {
    cwd: scratch,
    env: { PATH: process.env.PATH, KATA_AGENT_WRITE_CODE_CACHE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// Static, so it runs in any guest image whatever its libc.
const cc = process.env.CC ?? 'gcc';
const helpers = { 'kata-agent-monitor': ['kata-agent-monitor.c', 'exec-plan.c'], 'kata-agent-sys': ['kata-agent-sys.c'] };
for (const [helper, sources] of Object.entries(helpers)) {
  const paths = sources.map((source) => join(app, 'native', source));
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-static', '-o', join(dist, helper), ...paths], { stdio: 'inherit' });
}

// The guest has no shell; the debug console (agent.debug_console) runs this one. Static.
const busybox = process.env.KATA_AGENT_BUSYBOX ?? '/bin/busybox';
if (existsSync(busybox)) copyFileSync(busybox, join(dist, 'busybox'));

const addon = join(app, '../../libs/agent-transport/build/Release/vsock.node');
if (existsSync(addon)) copyFileSync(addon, join(dist, 'vsock.node'));
