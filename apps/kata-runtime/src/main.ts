import { realpathSync } from 'node:fs';
import { loadConfigFile } from '@kata-ts/config';
import { probeKvm } from '@kata-ts/hypervisor';
import { dialPort } from '@kata-ts/agent-transport';
import { DEFAULT_HOST, runCli } from './cli';
import { runExec } from './exec/run-exec';
import { runFactory } from './factory/run-factory';
import { defaultRunDir, shimStateLocator } from './exec/shim-state-locator';
import { loadCliConfig } from './load-cli-config';

const runtimePath = realpathSync(process.argv[1] ?? process.execPath);
const write = (stream: NodeJS.WriteStream) => (text: string) => void stream.write(text);

const code = await runCli(process.argv.slice(2), {
  out: write(process.stdout),
  err: write(process.stderr),
  env: process.env,
  runtimePath,
  // The verdict is cached in the shim's run dir, so check and the shim share it.
  host: { ...DEFAULT_HOST, probeKvm: (target) => probeKvm({ ...target, kvmDevice: DEFAULT_HOST.kvmDevice, cacheDir: defaultRunDir() }) },
  exec: (sandboxId, { configFile, runDir }) =>
    runExec(sandboxId, {
      locate: shimStateLocator(runDir),
      // --config wins; else the file the sandbox's shim loaded; else the standard lookup.
      loadConfig: (recorded) =>
        !configFile && recorded ? loadConfigFile(recorded, 'recorded by the sandbox shim', false) : loadCliConfig(configFile, process.env, runtimePath),
      dial: (channel, port) => dialPort(channel, port, { timeoutMs: 10_000 }),
      stdin: process.stdin,
      stdout: process.stdout,
    }),
  factory: (action, config, runDir) => runFactory(action, { config, runDir, out: write(process.stdout) }),
});
process.exitCode = code;
