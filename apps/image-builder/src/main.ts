import { Command, Option } from 'commander';
import { buildGuestImage } from './build-guest-image';
import { COMPRESSIONS, type Compression } from './cpio-archive';
import { ImageBuildError } from './image-build-error';
import { stderrProgress } from './progress';

const program = new Command('build-guest-image')
  .description('Builds the guest kernel (vmlinuz.container, vmlinux.container) and kata-containers-initrd.img with Node, the agent and crun')
  .option('--out <dir>', 'output folder (default: <repo>/build/guest)')
  .option('--cache <dir>', 'download and build cache (default: <out>/.cache)')
  .option('--agent-dir <dir>', 'folder copied to /opt/kata-agent (default: apps/agent/dist)')
  .option('--kernel-package <name>', 'Debian kernel package (default: what linux-image-amd64 depends on)')
  .addOption(new Option('--compression <kind>', 'initrd compression').choices(COMPRESSIONS))
  .option('--force', 'rebuild even when nothing changed');

const opts = program.parse().opts<{ out?: string; cache?: string; agentDir?: string; kernelPackage?: string; compression?: Compression; force?: boolean }>();

try {
  const result = await buildGuestImage({
    outDir: opts.out,
    cacheDir: opts.cache,
    agentDir: opts.agentDir,
    kernelPackage: opts.kernelPackage,
    compression: opts.compression,
    force: opts.force,
    progress: stderrProgress(),
  });
  // stdout: the output folder, for scripts.
  console.log(result.outDir);
} catch (err) {
  if (!(err instanceof ImageBuildError)) throw err;
  console.error(`build-guest-image: ${err.code}: ${err.message}`);
  process.exit(1);
}
