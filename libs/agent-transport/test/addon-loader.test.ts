// How a bundled program (the agent in the guest image) finds vsock.node: beside the bundle, or
// through $KATA_TS_VSOCK_ADDON; and the error naming every path tried when it is nowhere.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const addon = fileURLToPath(new URL('../build/Release/vsock.node', import.meta.url));
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'addon-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { loadVsockAddon } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};
     try {
       process.stdout.write(JSON.stringify({ functions: Object.keys(loadVsockAddon()).sort() }));
     } catch (error) {
       process.stdout.write(JSON.stringify({ code: error.code, message: error.message }));
     }`,
  );
  mkdirSync(join(dir, 'dist'));
  bundle = join(dir, 'dist', 'app.mjs');
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runBundle(env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [bundle], { env: { ...process.env, KATA_TS_VSOCK_ADDON: '', ...env } });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('loadVsockAddon from a bundle', () => {
  it('names every path it tried when vsock.node is nowhere', async () => {
    const result = await runBundle();
    expect(result.code).toBe('ADDON_NOT_FOUND');
    expect(result.message).toContain(join(dir, 'dist', 'vsock.node'));
    expect(result.message).toContain(join(dir, 'build', 'Release', 'vsock.node'));
  });

  it('takes $KATA_TS_VSOCK_ADDON, then vsock.node beside the bundle', async () => {
    const elsewhere = join(dir, 'elsewhere.node');
    copyFileSync(addon, elsewhere);
    const functions = ['bindSocket', 'connect', 'getpeername', 'getsockname', 'localCid'];
    expect(await runBundle({ KATA_TS_VSOCK_ADDON: elsewhere })).toEqual({ functions });
    copyFileSync(addon, join(dir, 'dist', 'vsock.node'));
    expect(await runBundle()).toEqual({ functions });
  });
});
