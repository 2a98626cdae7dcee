import { join } from 'node:path';
import type { KataConfig } from '@kata-ts/config';
import { sandboxVmConfig, VmFactory, type TemplateInfo } from '@kata-ts/factory';
import { selectAccelerator } from '@kata-ts/hypervisor';
import { createLogger } from '@kata-ts/logging';
import { CliError } from '../cli-error';

export type FactoryAction = 'init' | 'status' | 'destroy';

export interface FactoryDeps {
  config: KataConfig;
  /** The shim's run directory: the KVM verdict cached there is the one the shim uses. */
  runDir: string;
  out: (text: string) => void;
}

/**
 * `kata-runtime factory init|status|destroy`, as Kata's: init makes the VM template that the shim
 * resumes default-size sandboxes from (otherwise the first sandbox makes it), status lists the
 * templates, destroy removes them (running sandboxes keep their memory).
 */
export async function runFactory(action: FactoryAction, deps: FactoryDeps): Promise<number> {
  const { factory: f, hypervisor: q } = deps.config;
  const factory = new VmFactory({ templatePath: f.templatePath, logger: createLogger({ name: 'kata-runtime', level: 'warn' }) });
  if (action === 'destroy') {
    const removed = factory.destroy();
    deps.out(`vm factory destroyed: ${removed.length ? removed.join(', ') : 'nothing to remove'}\n`);
    return 0;
  }
  if (action === 'status') {
    deps.out(`vm factory is ${f.enableTemplate ? 'on' : 'off'} (enable_template = ${f.enableTemplate}, template_path = ${f.templatePath})\n`);
    for (const t of factory.list()) deps.out(describe(t));
    return 0;
  }
  if (!f.enableTemplate) throw new CliError('FACTORY_DISABLED', `vm factory is not enabled: set [factory] enable_template = true in ${deps.config.source.path}`);
  const choice = await selectAccelerator(q.accelerator, { qemuPath: q.path, kernel: q.kernel, cacheDir: deps.runDir });
  // The sockets and shared dir are the template VM's own (VmFactory places them); only what
  // the template key covers matters here, and it is what the shim computes for a sandbox.
  const scratch = join(f.templatePath, 'unused');
  const config = sandboxVmConfig(deps.config, {
    id: 'factory-init',
    accelerator: choice.accelerator,
    vcpus: q.defaultVcpus,
    memoryMiB: q.defaultMemory,
    sharedDir: scratch,
    channelSocket: join(scratch, 'agent.sock'),
    qmpSocket: join(scratch, 'qmp.sock'),
    logFile: join(scratch, 'console.log'),
  });
  const started = performance.now();
  const dir = await factory.template(config);
  deps.out(`vm factory initialized: ${dir} (${choice.accelerator}, ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return 0;
}

function describe(t: TemplateInfo): string {
  const mib = (t.memoryBytes / (1024 * 1024)).toFixed(0);
  return `template ${t.key}: ${t.inputs.vcpus} vCPU, ${t.inputs.memoryMiB} MiB, ${t.inputs.accelerator}, holds ${mib} MiB, made ${t.createdAt}, ${t.dir}\n`;
}
