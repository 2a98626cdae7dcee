import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { DeployError } from './deploy-error';
import { NODE_LABEL, type DeployOptions } from './options';

/** The label's values: install sets `true`, cleanup `cleanup` (the reset DaemonSet's nodeSelector), reset removes it. */
export type LabelValue = 'true' | 'cleanup' | null;

/**
 * Sets (or with null removes) katacontainers.io/kata-runtime on the node with a JSON merge patch,
 * using the pod's service account (in-cluster credentials: $KUBERNETES_SERVICE_HOST/PORT and the
 * token and CA under <credentialsRoot>/var/run/secrets/kubernetes.io/serviceaccount).
 */
export async function labelNode(options: Pick<DeployOptions, 'nodeName' | 'credentialsRoot'>, value: LabelValue): Promise<void> {
  const node = options.nodeName;
  if (!node) throw new DeployError('LABEL', 'no node name ($NODE_NAME, which the DaemonSet sets from spec.nodeName, or --node-name)');
  if (!process.env.KUBERNETES_SERVICE_HOST) throw new DeployError('LABEL', 'no in-cluster API server ($KUBERNETES_SERVICE_HOST is not set): run in a pod, or pass --no-label');
  const kc = new KubeConfig();
  kc.loadFromCluster(options.credentialsRoot);
  const api = kc.makeApiClient(CoreV1Api);
  try {
    await api.patchNode({ name: node, body: { metadata: { labels: { [NODE_LABEL]: value } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  } catch (err) {
    const e = err as Error & { code?: number; body?: unknown };
    throw new DeployError('LABEL', `patch node ${node} label ${NODE_LABEL}=${value ?? '(removed)'}: ${e.code ? `HTTP ${e.code}: ` : ''}${e.message.split('\n')[0]}`);
  }
}
