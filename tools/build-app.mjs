#!/usr/bin/env node
// The one esbuild bundling of every app: one ESM file for Node 20 with a `require` for the
// CommonJS dependencies (pino, ...). Run from the app's folder (npm scripts are):
//   node ../../tools/build-app.mjs <entry> <outfile> [--executable] [--commit]
// or, for apps with more to build (native helpers), import buildApp.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const REQUIRE_BANNER = "import { createRequire as __kataCreateRequire } from 'node:module'; const require = __kataCreateRequire(import.meta.url);";

// @kata-ts/protocols has one side effect: each generated module registers its messages in
// messageTypeRegistry, read only by unpackAny, which no app calls. Declared side-effect free, it
// leaves out of a bundle the modules the app never uses (CRI, containerd's shim API and cgroup
// metrics in the agent: 1.2 MB -> 0.75 MB, less to parse and run at every start).
const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const PROTOCOLS_SRC = `${REPO_ROOT}/libs/protocols/src/`;
const pruneUnusedProtocols = {
  name: 'prune-unused-protocols',
  setup(build) {
    build.onResolve({ filter: /^\.|^@kata-ts\/protocols$/ }, async ({ path, kind, importer, resolveDir, pluginData }) => {
      if (pluginData === pruneUnusedProtocols) return undefined;
      const resolved = await build.resolve(path, { kind, importer, resolveDir, pluginData: pruneUnusedProtocols });
      return resolved.path.startsWith(PROTOCOLS_SRC) ? { ...resolved, sideEffects: false } : resolved;
    });
  },
};

/**
 * @param {object} options
 * @param {string} options.entry the app's main module
 * @param {string} options.outfile the bundle, e.g. dist/kata-proxy.mjs
 * @param {boolean} [options.executable] a `#!/usr/bin/env node` line and mode 0755
 * @param {Record<string, string>} [options.define] compile-time constants (values are JS source)
 * @param {boolean} [options.vmScript] instead of an ES module, a CommonJS bundle wrapped as one
 *   function expression `(function (exports, require, module, importMetaUrl) {...})` for a
 *   node:vm Script, which (unlike an ES module in Node 20) can start from a V8 code cache
 * @param {Record<string, string>} [options.alias] modules to bundle in place of others (esbuild's alias)
 * @param {boolean} [options.commit] define __KATA_TS_COMMIT__ as this checkout's commit, for --version
 *   (nx.json's `commit` input makes such a build's cache key follow the commit)
 */
export async function buildApp({ entry, outfile, executable = false, define = {}, vmScript = false, alias = {}, commit = false }) {
  if (commit) define = { ...define, __KATA_TS_COMMIT__: JSON.stringify(checkoutCommit()) };
  const { outputFiles } = await build({
    write: false,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: vmScript ? 'cjs' : 'esm',
    target: 'node20',
    logLevel: 'warning',
    define: vmScript ? { 'import.meta.url': '__kataImportMetaUrl', ...define } : define,
    alias,
    plugins: [pruneUnusedProtocols],
    banner: { js: vmScript ? '(function (exports, require, module, __kataImportMetaUrl) {' : executable ? `#!/usr/bin/env node\n${REQUIRE_BANNER}` : REQUIRE_BANNER },
    footer: vmScript ? { js: '})' } : undefined,
  });
  // Replaced whole, by rename: tests rebuild a bundle while others run it, and a Node started
  // on a half-written file dies of a SyntaxError.
  for (const file of outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents, { mode: executable ? 0o755 : 0o644 });
    renameSync(partial, file.path);
  }
  if (executable) chmodSync(outfile, 0o755);
}

/** The commit of the checkout this file is in, `-dirty` when tracked files differ from it. */
function checkoutCommit() {
  try {
    const git = (...args) => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const sha = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? sha : `${sha}-dirty`;
  } catch {
    return 'unknown';
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { executable: { type: 'boolean', default: false }, commit: { type: 'boolean', default: false } } });
  const [entry, outfile] = positionals;
  if (!entry || !outfile || positionals.length > 2) {
    console.error('usage: build-app.mjs <entry> <outfile> [--executable] [--commit]');
    process.exit(2);
  }
  await buildApp({ entry, outfile, executable: values.executable, commit: values.commit });
}
