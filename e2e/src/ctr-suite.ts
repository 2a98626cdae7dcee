import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { importBusyboxImage, installKata, startContainerd, type KataInstall, type PrivateContainerd, type RunOptions } from '@kata-ts/testing';
import { taskStatus, waitFor } from './ctr';
import { assertAllGone } from './leaks';

/**
 * The scaffolding of a `ctr run --runtime io.containerd.kata.v2` test file: kata-ts installed into
 * a temp prefix, a private containerd whose kata shims keep their sandboxes under `runDir`, the
 * busybox image; all of it stopped and removed after the file. Fields are set once beforeAll ran;
 * the helpers are bound (`const { ctr, kataRun } = suite` at the top of a file works).
 */
export class CtrSuite {
  kata!: KataInstall;
  dir!: string;
  /** The shims' KATA_TS_RUN_DIR: sandbox dirs are `<runDir>/sandboxes/<id>`. */
  runDir!: string;
  containerd!: PrivateContainerd;
  image!: string;
  private readonly sockets = new Set<string>();

  /** `ctr` in the private containerd, 120 s unless told. */
  ctr = (args: string[], options: RunOptions = {}) => this.containerd.ctr(args, { ...options, timeoutMs: options.timeoutMs ?? 120_000 });

  /** `ctr run` with the kata runtime and a configuration file (the installed one unless told). */
  kataRun = (configPath = this.kata.configPath): string[] => ['run', '--runtime', 'io.containerd.kata.v2', '--runtime-config-path', configPath];

  /** The task's STATUS in `ctr task ls`; undefined when containerd has none. */
  status = (id: string): Promise<string | undefined> => taskStatus(this.containerd, id);

  /** A copy of the installed configuration.toml with `edit` applied; returns its path. */
  writeConfig = (name: string, edit: (text: string) => string): string => {
    const path = join(this.dir, 'configs', name, 'configuration.toml');
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, edit(readFileSync(this.kata.configPath, 'utf8')));
    return path;
  };

  /**
   * containerd's shim socket for a sandbox (as the shim names it: sha256 of address/namespace/id);
   * the leak check of the running test then also requires it gone.
   */
  shimSocket = (id: string): string => {
    const path = join('/run/containerd/s', createHash('sha256').update(join(this.containerd.address, this.containerd.namespace, id)).digest('hex'));
    this.sockets.add(path);
    return path;
  };

  /** Starts the private containerd (again, after a test killed it). */
  async startContainerd(): Promise<void> {
    this.containerd = await startContainerd({ dir: this.dir, shimBinDir: this.kata.binDir, kataConfigPath: this.kata.configPath, env: { KATA_TS_RUN_DIR: this.runDir } });
  }

  /** Shims exit just after answering Shutdown: give them a moment, then nothing may be left. */
  async expectNoLeaks(): Promise<void> {
    const check = () => {
      assertAllGone(this.containerd, [join(this.runDir, 'sandboxes')]);
      const left = [...this.sockets].filter((s) => existsSync(s));
      if (left.length) throw new Error(`shim sockets left: ${left.join(' ')}`);
    };
    try {
      await waitFor('the shim, VM, proxy and socket to go away', () => {
        try {
          check();
          return true;
        } catch {
          return false;
        }
      }, 20_000);
    } finally {
      check();
    }
  }

  /**
   * Registers, in the calling describe, an afterEach that checks nothing is left, then removes
   * what a failed test left so the next one starts clean.
   */
  expectNoLeaksAfterEach(): void {
    afterEach(async () => {
      let leak: unknown;
      await this.expectNoLeaks().catch((err: unknown) => (leak = err));
      await this.containerd.removeContainers((await this.ctr(['container', 'ls', '-q'])).stdout.split('\n').filter(Boolean));
      this.sockets.clear();
      if (leak) throw leak;
    }, 120_000);
  }
}

/** A CtrSuite whose beforeAll/afterAll are registered in the calling file; `name` prefixes its temp dir. */
export function ctrSuite(name: string): CtrSuite {
  const suite = new CtrSuite();
  beforeAll(async () => {
    suite.dir = mkdtempSync(join(tmpdir(), `${name}-`));
    suite.runDir = join(suite.dir, 'run');
    suite.kata = await installKata(join(suite.dir, 'prefix'));
    await suite.startContainerd();
    suite.image = await importBusyboxImage(suite.containerd);
  }, 900_000);
  afterAll(async () => {
    await suite.containerd?.stop();
    rmSync(suite.dir, { recursive: true, force: true });
  }, 60_000);
  return suite;
}
