// Bundles the CLI into one executable ESM file, with the git commit embedded for `--version`.
import { execFileSync } from 'node:child_process';
import { buildApp } from '../../../tools/build-app.mjs';

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

await buildApp({
  entry: 'src/main.ts',
  outfile: 'dist/kata-runtime.mjs',
  executable: true,
  define: { __KATA_TS_COMMIT__: JSON.stringify(gitCommit()) },
});
