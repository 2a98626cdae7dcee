// The vitest settings every project starts from (each project's vitest.config.ts calls this).
import { relative } from 'node:path';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Timeouts: tests here spawn processes, build images, start containerd and boot VMs under TCG on
 * a 2-core machine that CI may share with other work; vitest's 5 s default failed such tests under
 * load (issue 10). A real hang still fails, a minute later.
 *
 * Reports: when KATA_TS_TEST_REPORTS names a folder (tools/test sets it), each project also writes
 * vitest's JSON report there, from which tools/test prints one summary line for the whole suite.
 */
export function kataVitestConfig(overrides: ViteUserConfig = {}): ViteUserConfig {
  const reports = process.env.KATA_TS_TEST_REPORTS;
  const project = relative(import.meta.dirname, process.cwd()).replaceAll('/', '_') || 'root';
  const base = defineConfig({
    test: {
      testTimeout: 60_000,
      hookTimeout: 180_000,
      ...(reports ? { reporters: ['default', ['json', { outputFile: `${reports}/${project}.json` }]] } : {}),
    },
  });
  return mergeConfig(base, overrides);
}
