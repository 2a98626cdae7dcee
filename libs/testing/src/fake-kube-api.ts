import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where in-cluster clients read the pod's service account (under a path prefix). */
export const SERVICE_ACCOUNT_DIR = 'var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeApiRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: unknown;
}

export interface FakeKubeApi {
  /** Prefix holding var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace} (client-node's loadFromCluster(pathPrefix)). */
  credentialsRoot: string;
  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, as a pod has them. */
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
  /** Labels of each node, as the server holds them now. */
  labels(node: string): Record<string, string>;
  requests: KubeApiRequest[];
  close(): Promise<void>;
}

type Node = { apiVersion: 'v1'; kind: 'Node'; metadata: { name: string; labels: Record<string, string>; resourceVersion: string } };

/** RFC 7386 JSON merge patch (null deletes), which is also what a strategic merge patch does to labels. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

/**
 * A peer fake of the Kubernetes API server for unit tests: HTTPS on loopback with its own CA and a
 * service account token, the real paths and objects for what kata-deploy uses (GET and PATCH
 * /api/v1/nodes/{name}, merge and strategic merge patches), 401 without the token, 404 for an
 * unknown node, 415 for another patch type. Everything else is 404.
 */
export async function startFakeKubeApi(nodes: string[]): Promise<FakeKubeApi> {
  const credentialsRoot = mkdtempSync(join(tmpdir(), 'kata-ts-kube-api-'));
  const sa = join(credentialsRoot, SERVICE_ACCOUNT_DIR);
  mkdirSync(sa, { recursive: true });
  const key = join(credentialsRoot, 'server.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', join(sa, 'ca.crt'), '-days', '1', '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const token = `fake-${process.pid}-${Date.now()}`;
  writeFileSync(join(sa, 'token'), token);
  writeFileSync(join(sa, 'namespace'), 'kube-system');

  const store = new Map<string, Node>(nodes.map((name) => [name, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: {}, resourceVersion: '1' } }]));
  const requests: KubeApiRequest[] = [];
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(join(sa, 'ca.crt')) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type']?.split(';')[0];
      const record: KubeApiRequest = { method: req.method ?? '', path: req.url ?? '', contentType, body: text ? JSON.parse(text) : undefined };
      requests.push(record);
      const reply = (code: number, body: unknown): void => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, status(401, 'Unauthorized', 'Unauthorized'));
      const m = /^\/api\/v1\/nodes\/([^/?]+)(\?.*)?$/.exec(req.url ?? '');
      if (!m) return reply(404, status(404, 'NotFound', `the fake API server does not serve ${req.url}`));
      const node = store.get(decodeURIComponent(m[1]!));
      if (!node) return reply(404, status(404, 'NotFound', `nodes "${m[1]}" not found`));
      if (req.method === 'GET') return reply(200, node);
      if (req.method !== 'PATCH') return reply(405, status(405, 'MethodNotAllowed', `${req.method} is not served`));
      if (contentType !== 'application/merge-patch+json' && contentType !== 'application/strategic-merge-patch+json') {
        return reply(415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${contentType}`));
      }
      const patched = mergePatch(node, record.body) as Node;
      patched.metadata.resourceVersion = String(Number(node.metadata.resourceVersion) + 1);
      store.set(node.metadata.name, patched);
      return reply(200, patched);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    credentialsRoot,
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) },
    labels: (node) => ({ ...(store.get(node)?.metadata.labels ?? {}) }),
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(credentialsRoot, { recursive: true, force: true });
    },
  };
}
