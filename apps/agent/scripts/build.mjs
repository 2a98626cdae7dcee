// Builds dist/: kata-agent.mjs (the shared app bundling), kata-agent-monitor and kata-agent-sys
// (native helpers), and the native addon the bundle loads (libs/vsock's vsock.node) beside it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../../tools/build-app.mjs';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(app, 'dist');
mkdirSync(dist, { recursive: true });

await buildApp({ entry: join(app, 'src/main.ts'), outfile: join(dist, 'kata-agent.mjs') });

// Static, so it runs in any guest image whatever its libc.
const cc = process.env.CC ?? 'gcc';
for (const helper of ['kata-agent-monitor', 'kata-agent-sys']) {
  execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-static', '-o', join(dist, helper), join(app, `native/${helper}.c`)], { stdio: 'inherit' });
}

// The guest has no shell; the debug console (agent.debug_console) runs this one. Static.
const busybox = process.env.KATA_AGENT_BUSYBOX ?? '/bin/busybox';
if (existsSync(busybox)) copyFileSync(busybox, join(dist, 'busybox'));

const addon = join(app, '../../libs/vsock/build/Release/vsock.node');
if (existsSync(addon)) copyFileSync(addon, join(dist, 'vsock.node'));
