#!/usr/bin/env node
// The one esbuild bundling of every app: one ESM file for Node 20 with a `require` for the
// CommonJS dependencies (pino, ...). Run from the app's folder (npm scripts are):
//   node ../../tools/build-app.mjs <entry> <outfile> [--executable]
// or, for apps with more to build (native helpers, an embedded commit), import buildApp.
import { chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REQUIRE_BANNER = "import { createRequire as __kataCreateRequire } from 'node:module'; const require = __kataCreateRequire(import.meta.url);";

/**
 * @param {object} options
 * @param {string} options.entry the app's main module
 * @param {string} options.outfile the bundle, e.g. dist/kata-proxy.mjs
 * @param {boolean} [options.executable] a `#!/usr/bin/env node` line and mode 0755
 * @param {Record<string, string>} [options.define] compile-time constants (values are JS source)
 */
export async function buildApp({ entry, outfile, executable = false, define = {} }) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    define,
    banner: { js: executable ? `#!/usr/bin/env node\n${REQUIRE_BANNER}` : REQUIRE_BANNER },
  });
  if (executable) chmodSync(outfile, 0o755);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { executable: { type: 'boolean', default: false } } });
  const [entry, outfile] = positionals;
  if (!entry || !outfile || positionals.length > 2) {
    console.error('usage: build-app.mjs <entry> <outfile> [--executable]');
    process.exit(2);
  }
  await buildApp({ entry, outfile, executable: values.executable });
}
