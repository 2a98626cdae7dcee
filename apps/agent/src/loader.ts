// The agent's entry point, dist/kata-agent.mjs: runs the bundle (main.ts and all it imports,
// dist/kata-agent.bundle.js) as a node:vm Script from the V8 code cache the build made beside it.
// In a TCG guest, compiling the bundle was a third of the agent's start, and an ES module cannot
// take a code cache in Node 20. Resolves once the agent listens.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import type { main } from './main';

type Bundle = (exports: object, require: NodeJS.Require, module: { exports: object }, importMetaUrl: string) => void;

const bundle = new URL('./kata-agent.bundle.js', import.meta.url);
const cacheFile = new URL('./kata-agent.bundle.cache', import.meta.url);
const cachedData = readIfPresent(cacheFile);
// A fixed name, not the path: V8 keeps the name a cache was made under (stack traces show it), so
// a path would put the build's checkout into the cache and the image would not be reproducible.
const script = new Script(readFileSync(bundle, 'utf8'), { filename: 'kata-agent.bundle.js', cachedData });
const module = { exports: {} as { main: typeof main } };
(script.runInThisContext() as Bundle)(module.exports, createRequire(bundle), module, bundle.href);
await module.exports.main(cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used');

// The build (scripts/build.mjs) makes the cache here, after startup: it then holds every function
// startup ran, not only the few V8 compiles eagerly.
if (process.env.KATA_AGENT_WRITE_CODE_CACHE === '1') {
  writeFileSync(cacheFile, script.createCachedData());
  process.kill(process.pid, 'SIGTERM');
}

function readIfPresent(file: URL): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
