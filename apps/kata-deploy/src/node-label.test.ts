import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_ACCOUNT_DIR, startFakeKubeApi, type FakeKubeApi } from '@kata-ts/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelNode } from './node-label';
import { NODE_LABEL } from './options';

let api: FakeKubeApi;
const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };

beforeAll(async () => {
  api = await startFakeKubeApi(['node-1']);
  Object.assign(process.env, api.env);
});
afterAll(async () => {
  await api?.close();
  for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('labelNode through @kubernetes/client-node with in-cluster credentials (fake API server on loopback)', () => {
  it('sets true, then cleanup, then removes the label with merge patches on /api/v1/nodes/{name}', async () => {
    const options = { nodeName: 'node-1', credentialsRoot: api.credentialsRoot };
    await labelNode(options, 'true');
    expect(api.labels('node-1')).toEqual({ [NODE_LABEL]: 'true' });
    await labelNode(options, 'cleanup');
    expect(api.labels('node-1')).toEqual({ [NODE_LABEL]: 'cleanup' });
    await labelNode(options, null);
    expect(api.labels('node-1')).toEqual({});
    expect(api.requests.map((r) => [r.method, r.path, r.contentType])).toEqual(
      Array(3).fill(['PATCH', '/api/v1/nodes/node-1', 'application/merge-patch+json']),
    );
    expect(api.requests[2]!.body).toEqual({ metadata: { labels: { [NODE_LABEL]: null } } });
  });

  it('an unknown node is a LABEL error naming the node and the HTTP status', async () => {
    await expect(labelNode({ nodeName: 'node-2', credentialsRoot: api.credentialsRoot }, 'true')).rejects.toMatchObject({
      code: 'LABEL',
      message: expect.stringMatching(/node-2.*HTTP 404/),
    });
  });

  it('a wrong token is refused (401) and said so', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kata-deploy-sa-'));
    const sa = join(root, SERVICE_ACCOUNT_DIR);
    mkdirSync(sa, { recursive: true });
    copyFileSync(join(api.credentialsRoot, SERVICE_ACCOUNT_DIR, 'ca.crt'), join(sa, 'ca.crt'));
    writeFileSync(join(sa, 'token'), 'not-the-token');
    try {
      await expect(labelNode({ nodeName: 'node-1', credentialsRoot: root }, 'true')).rejects.toMatchObject({ code: 'LABEL', message: expect.stringContaining('HTTP 401') });
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  it('no node name or no API server: a clear error before any request', async () => {
    await expect(labelNode({ credentialsRoot: api.credentialsRoot }, 'true')).rejects.toThrow(/no node name/);
    const host = process.env.KUBERNETES_SERVICE_HOST;
    delete process.env.KUBERNETES_SERVICE_HOST;
    try {
      await expect(labelNode({ nodeName: 'node-1', credentialsRoot: api.credentialsRoot }, 'true')).rejects.toThrow(/KUBERNETES_SERVICE_HOST is not set/);
    } finally {
      process.env.KUBERNETES_SERVICE_HOST = host;
    }
  });
});
