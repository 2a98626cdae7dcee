/**
 * The guest boot: QEMU start → agent ready (grpc.Health/Check answered through QEMU's chardev +
 * mux + ttrpc, the shim's path), against the bare boot (QEMU start → PID 1 starting the agent);
 * the agent's RSS in the guest; image size; image build time cold (empty cache) and cached.
 * Run: npx tsx bench/boot.bench.ts [--json] [--samples N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VmFactory } from '@kata-ts/factory';
import { createLogger } from '@kata-ts/logging';
import { probeKvm } from '@kata-ts/hypervisor';
import { buildGuestImage, findRepoRoot, type BuildGuestImageResult } from '@kata-ts/image-builder';
import { nodeFloorAgentDir, probeAgentDir, waitForProbeReport } from '@kata-ts/image-builder/testing';
import { bootConfig, bootGuest, waitForConsole, type BootOptions } from '@kata-ts/testing';
import { printBenchResult, type BenchFigure } from './bench-result';

const samplesFlag = process.argv.indexOf('--samples');
const SAMPLES = samplesFlag >= 0 ? Number(process.argv[samplesFlag + 1]) : 5;
const repo = findRepoRoot();
const agentDist = join(repo, 'apps', 'agent', 'dist');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function spread(values: number[], unit: string, digits = 0): string {
  return `median ${median(values).toFixed(digits)} ${unit}, min ${Math.min(...values).toFixed(digits)}, max ${Math.max(...values).toFixed(digits)} (n=${values.length})`;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

// Build times: cold into an empty cache (apt-get download, unpack, depmod, strip, cpio), then the
// same build again (inputs hashed, nothing rebuilt).
const scratch = mkdtempSync(join(tmpdir(), 'boot-bench-'));
let coldMs: number;
let cachedMs: number;
try {
  const opts = { outDir: join(scratch, 'out'), cacheDir: join(scratch, 'cache') };
  [, coldMs] = await timed(() => buildGuestImage(opts));
  [, cachedMs] = await timed(() => buildGuestImage(opts));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const image = await buildGuestImage();
const verdict = await probeKvm({ kernel: image.vmlinux });
const accelerator = verdict.usable ? 'kvm' : 'tcg';
/** The installed boot: the root image on a DAX nvdimm, mounted by its small initrd. */
const installed = (built: BuildGuestImageResult) => ({ kernel: built.vmlinux, initrd: built.imageInitrd, image: built.image, accelerator }) as const;

/** SAMPLES boots to agent ready, with their phases. */
async function bootSamples(options: BootOptions): Promise<{ ready: number[]; bare: number[]; listening: number[] }> {
  const out = { ready: [] as number[], bare: [] as number[], listening: [] as number[] };
  for (let i = 0; i < SAMPLES; i++) {
    const guest = await bootGuest(options);
    try {
      // Phases, from the console (polled every 50 ms): PID 1 starts the agent (the bare boot), the
      // agent's first "listening" log line (Node started and the bundle ran), then Health answered.
      const seenAt = (pattern: RegExp) => waitForConsole(guest, pattern, 120_000).then((seen) => (seen ? performance.now() - guest.startedAt : undefined));
      const bareBoot = seenAt(/kata-init: \[[\d.]+\] agent started/);
      const agentListening = seenAt(/"msg":"listening"/);
      const agent = await guest.connectAgent();
      out.ready.push(performance.now() - guest.startedAt);
      await agent.close();
      const [bareMs, listeningMs] = await Promise.all([bareBoot, agentListening]);
      if (bareMs !== undefined) out.bare.push(bareMs);
      if (bareMs !== undefined && listeningMs !== undefined) out.listening.push(listeningMs - bareMs);
    } finally {
      await guest.destroy();
    }
  }
  return out;
}

const { ready, bare, listening } = await bootSamples(installed(image));
// The same guest as one initrd unpacked into the VM's RAM (what kata-ts booted before the image).
const wholeInitrd = (await bootSamples({ kernel: image.vmlinux, initrd: image.initrd, accelerator })).ready;

// VM templating (@kata-ts/factory, what the shim does with [factory] enable_template): one cold
// boot saved once its agent answers, then SAMPLES clones resumed from it.
const templateDir = mkdtempSync(join(tmpdir(), 'boot-bench-template-'));
const fromTemplate: number[] = [];
let templateMiB = 0;
try {
  const factory = new VmFactory({ templatePath: join(templateDir, 'templates'), logger: createLogger({ name: 'factory', level: 'warn' }) });
  const options = installed(image);
  const template = await factory.template(bootConfig(options, templateDir));
  templateMiB = (factory.list()[0]?.memoryBytes ?? 0) / (1024 * 1024);
  for (let i = 0; i < SAMPLES; i++) {
    const guest = await bootGuest({ ...options, template: { dir: template, role: 'restore' } });
    try {
      await (await guest.connectAgent(60_000)).close();
      fromTemplate.push(performance.now() - guest.startedAt);
    } finally {
      await guest.destroy();
    }
  }
} finally {
  rmSync(templateDir, { recursive: true, force: true });
}

// The floor under any Node agent: the same kernel, PID 1 and Node, running a one-line program.
const floorDir = nodeFloorAgentDir();
const nodeFloor: number[] = [];
try {
  const floor = await buildGuestImage({ outDir: join(repo, 'build', 'guest-floor'), cacheDir: join(repo, 'build', 'guest', '.cache'), agentDir: floorDir });
  for (let i = 0; i < SAMPLES; i++) {
    const guest = await bootGuest(installed(floor));
    try {
      if (await waitForConsole(guest, /NODE-UP/, 120_000)) nodeFloor.push(performance.now() - guest.startedAt);
    } finally {
      await guest.destroy();
    }
  }
} finally {
  rmSync(floorDir, { recursive: true, force: true });
}

// The agent's RSS, measured in the guest by the probe wrapper around the unchanged agent.
const probeDir = probeAgentDir(agentDist);
let rssMiB = 0;
try {
  const probe = await buildGuestImage({ outDir: join(repo, 'build', 'guest-probe'), cacheDir: join(repo, 'build', 'guest', '.cache'), agentDir: probeDir });
  const guest = await bootGuest(installed(probe));
  try {
    rssMiB = ((await waitForProbeReport(guest, 120_000))?.agentRssKiB ?? 0) / 1024;
  } finally {
    await guest.destroy();
  }
} finally {
  rmSync(probeDir, { recursive: true, force: true });
}

const MiB = 1024 * 1024;
const figures: BenchFigure[] = [
  {
    id: 'boot-to-agent-ready',
    label: `QEMU start → agent answers Health/Check (${accelerator})`,
    unit: 'ms',
    subject: { name: 'kata-ts', value: median(ready) },
    ...(bare.length ? { reference: { name: 'bare boot to PID 1 starting the agent', value: median(bare) } } : {}),
    lowerIsBetter: true,
    samples: ready.length,
  },
  {
    id: 'boot-whole-initrd',
    label: `QEMU start → agent answers, the whole guest as one initrd instead of the root image (${accelerator})`,
    unit: 'ms',
    subject: { name: 'whole initrd', value: median(wholeInitrd) },
    reference: { name: 'root image (installed)', value: median(ready) },
    lowerIsBetter: true,
    samples: wholeInitrd.length,
  },
  {
    id: 'node-floor',
    label: `QEMU start → Node runs a one-line program (no agent; ${accelerator})`,
    unit: 'ms',
    subject: { name: 'Node floor', value: median(nodeFloor) },
    reference: { name: 'agent ready', value: median(ready) },
    lowerIsBetter: true,
    samples: nodeFloor.length,
  },
  {
    id: 'template-to-agent-ready',
    label: `QEMU start from a VM template → agent answers (${accelerator})`,
    unit: 'ms',
    subject: { name: 'kata-ts', value: median(fromTemplate) },
    reference: { name: 'cold boot', value: median(ready) },
    lowerIsBetter: true,
    samples: fromTemplate.length,
  },
  { id: 'template-memory', label: 'host memory a VM template holds (its tmpfs memory file)', unit: 'MiB', subject: { name: 'kata-ts', value: templateMiB }, lowerIsBetter: true, samples: 1 },
  { id: 'agent-rss-guest', label: 'agent RSS in the guest', unit: 'MiB', subject: { name: 'kata-ts', value: rssMiB }, lowerIsBetter: true, samples: 1 },
  {
    id: 'guest-image-size',
    label: 'guest root image + its initrd + kernel (the image is shared by every VM, not copied)',
    unit: 'MiB',
    subject: { name: 'kata-ts', value: (image.manifest.image.size + image.manifest.imageInitrd.size + image.manifest.kernel.vmlinux.size) / MiB },
    reference: { name: 'whole initrd + kernel', value: (image.manifest.initrd.size + image.manifest.kernel.vmlinux.size) / MiB },
    lowerIsBetter: true,
  },
  { id: 'image-build-cold', label: 'image build, empty cache', unit: 's', subject: { name: 'kata-ts', value: coldMs / 1000 }, lowerIsBetter: true, samples: 1 },
  { id: 'image-build-cached', label: 'image build, nothing changed', unit: 's', subject: { name: 'kata-ts', value: cachedMs / 1000 }, lowerIsBetter: true, samples: 1 },
];

printBenchResult({
  bench: 'boot',
  figures,
  notes: [
    `accelerator ${accelerator}: ${verdict.reason}`,
    `boot to agent ready: ${spread(ready, 'ms')}`,
    `boot to agent ready, whole initrd: ${spread(wholeInitrd, 'ms')}`,
    `QEMU start → PID 1 starts the agent: ${spread(bare, 'ms')}`,
    `agent started → first "listening" line (Node start + bundle + listeners): ${spread(listening, 'ms')}`,
    `from template to agent ready: ${spread(fromTemplate, 'ms')}`,
    `QEMU start → a one-line Node program runs (the floor of any Node agent): ${spread(nodeFloor, 'ms')}`,
    `kernel ${image.manifest.kernel.release} (${image.manifest.kernel.package} ${image.manifest.kernel.version}), root image ${(image.manifest.image.size / MiB).toFixed(1)} MiB + initrd ${(image.manifest.imageInitrd.size / MiB).toFixed(1)} MiB (whole initrd ${(image.manifest.initrd.size / MiB).toFixed(1)} MiB), vmlinux ${(image.manifest.kernel.vmlinux.size / MiB).toFixed(1)} MiB`,
    'wall-clock times on a shared 2-core host: other load inflates them',
  ],
});
