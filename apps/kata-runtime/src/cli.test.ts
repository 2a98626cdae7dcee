import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { createFakeHost, type FakeHost } from '../test/fake-host';
import { runCli, type CliDeps } from './cli';

let fake: FakeHost | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function cli(args: string[], deps: Partial<CliDeps> = {}): Promise<{ code: number; out: string; err: string }> {
  fake ??= await createFakeHost({
    cpuFlags: [],
    kvmDevice: false,
    vhostVsock: false,
    kvmVerdict: { usable: false, reason: 'unused' },
    containerd: true,
    image: true,
  });
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { KATA_CONF_FILE: fake.configPath },
    runtimePath: '/nonexistent/bin/kata-runtime',
    host: fake.host,
    exec: async () => 0,
    factory: async () => 0,
    ...deps,
  });
  return { code, out, err };
}

describe('kata-runtime CLI', () => {
  it('--version and version print the version, commit and OCI spec', async () => {
    for (const args of [['--version'], ['-v'], ['version']]) {
      const { code, out } = await cli(args);
      expect(code).toBe(0);
      expect(out).toMatch(/^kata-runtime {2}: 0\.1\.0 \(kata-ts\)\n {3}commit {3}: .+\n {3}OCI specs: 1\.1\.0\n$/);
    }
  });

  it('check: capable with fallbacks, exit 0; --json carries the same verdict', async () => {
    const text = await cli(['check']);
    expect(text.code).toBe(0);
    expect(text.out).toContain('System is capable of running kata-ts containers');
    expect(text.out).toContain('fallback KVM: no ');
    const json = await cli(['check', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ capable: true, accelerator: 'tcg', agentChannel: 'proxy' });
  });

  it('check: a containerd that does not answer is reported on stderr with exit 1', async () => {
    const { code, out, err } = await cli(['check', '--containerd-address', '/nonexistent/containerd.sock']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('MISSING  containerd: /nonexistent/containerd.sock does not answer');
    expect(err).not.toContain('System is capable');
  });

  it('check reads CONTAINERD_ADDRESS as ctr does', async () => {
    const prev = process.env.CONTAINERD_ADDRESS;
    process.env.CONTAINERD_ADDRESS = '/nonexistent/from-env.sock';
    try {
      const { code, err } = await cli(['check']);
      expect(code).toBe(1);
      expect(err).toContain('/nonexistent/from-env.sock does not answer');
    } finally {
      if (prev === undefined) delete process.env.CONTAINERD_ADDRESS;
      else process.env.CONTAINERD_ADDRESS = prev;
    }
  });

  it('env prints TOML naming the loaded file and why; --json the same as JSON', async () => {
    const { code, out } = await cli(['env']);
    expect(code).toBe(0);
    const env = parseToml(out) as {
      Runtime: { Config: { Path: string; Reason: string } };
      Initrd: { Path: string };
      Image: { Path: string };
      Hypervisor: { Version: string };
    };
    expect(env.Hypervisor.Version).toBe('QEMU emulator version 7.2.0 (fake)');
    expect(env.Runtime.Config).toMatchObject({ Path: fake?.configPath, Reason: 'environment variable KATA_CONF_FILE' });
    expect(env.Initrd.Path).toBe(`${fake?.dir}/initrd.img`);
    expect(env.Image.Path).toBe(`${fake?.dir}/root.img`);
    const json = JSON.parse((await cli(['--config', fake?.configPath ?? '', 'env', '--json'])).out);
    expect(json.Runtime.Config.Reason).toBe('named by --config');
  });

  it('errors the way CLIs do: unknown commands and bad configs on stderr, non-zero', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("error: unknown command 'frobnicate'");
    const missing = await cli(['--config', '/nonexistent.toml', 'env']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^kata-runtime: \/nonexistent\.toml: cannot read/);
  });

  it('exec passes the sandbox id and --config to the exec implementation', async () => {
    const calls: unknown[] = [];
    const { code } = await cli(['--config', '/c.toml', 'exec', 'sb1'], {
      exec: async (id, options) => {
        calls.push([id, options]);
        return 0;
      },
    });
    expect(code).toBe(0);
    expect(calls).toEqual([['sb1', { configFile: '/c.toml', runDir: '/run/kata-ts' }]]);
  });
});
