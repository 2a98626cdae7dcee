// The manifests in deploy/: valid against the Kubernetes API schemas (kubernetes-models), and in
// agreement with the program they run (its commands and options, labels, handler, image, mounts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { RuntimeClass } from 'kubernetes-models/node.k8s.io/v1/RuntimeClass';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createProgram } from './cli';
import { DEFAULTS, IMAGE, IMAGE_ENTRYPOINT, NODE_LABEL, RUNTIME_HANDLER } from './options';

const DEPLOY = join(import.meta.dirname, '../deploy');
const FILES = ['kata-rbac.yaml', 'kata-deploy.yaml', 'kata-cleanup.yaml', 'runtimeclasses.yaml', 'example-pod.yaml'];

/** The API types the manifests use, each with its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/DaemonSet': DaemonSet,
  'node.k8s.io/v1/RuntimeClass': RuntimeClass,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'v1/Pod': Pod,
  'v1/ServiceAccount': ServiceAccount,
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function load(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
}

function validate(obj: Obj): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj as never).validate();
}

const all = Object.fromEntries(FILES.map((f) => [f, load(f)]));
const find = (file: string, kind: string): Obj => all[file]!.find((o) => o.kind === kind)!;
const program = createProgram();

/** Checks `argv` (after the entrypoint) is a command of the program with options it knows. */
function expectProgramAccepts(argv: string[]): Record<string, string> {
  const [name, ...rest] = argv;
  const command = program.commands.find((c) => c.name() === name);
  expect(command, `kata-deploy has no command ${name}`).toBeDefined();
  const known = new Set(command!.options.map((o) => o.long));
  const values: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    expect(known, `kata-deploy ${name} has no option ${rest[i]}`).toContain(rest[i]);
    const takesValue = command!.options.find((o) => o.long === rest[i])!.required;
    if (takesValue) values[rest[i]!] = rest[++i]!;
  }
  return values;
}

describe('deploy/ manifests', () => {
  it.each(FILES)('%s is valid against the Kubernetes API schemas', (file) => {
    expect(all[file]!.length).toBeGreaterThan(0);
    for (const obj of all[file]!) validate(obj);
  });

  it('the schema check can fail: a DaemonSet with a string grace period or without containers is refused', () => {
    const ds = structuredClone(find('kata-deploy.yaml', 'DaemonSet'));
    ds.spec.template.spec.terminationGracePeriodSeconds = 'long';
    expect(() => validate(ds)).toThrow();
    const empty = structuredClone(find('kata-deploy.yaml', 'DaemonSet'));
    delete empty.spec.template.spec.containers;
    expect(() => validate(empty)).toThrow();
  });

  it.each([
    ['kata-deploy.yaml', 'install'],
    ['kata-cleanup.yaml', 'reset'],
  ])('%s runs the image with `%s` against the node root it mounts, as the service account kata-rbac.yaml binds', (file, command) => {
    const ds = find(file, 'DaemonSet');
    expect(ds.metadata.namespace).toBe('kube-system');
    const pod = ds.spec.template.spec;
    const [c] = pod.containers;
    expect(c.image).toBe(IMAGE);
    expect(c.command).toEqual([IMAGE_ENTRYPOINT]);
    expect(c.args[0]).toBe(command);
    const values = expectProgramAccepts(c.args);
    const hostVolume = pod.volumes.find((v: Obj) => v.hostPath?.path === '/');
    expect(c.volumeMounts).toContainEqual({ name: hostVolume.name, mountPath: values['--host-root'] ?? DEFAULTS.hostRoot });
    expect(c.securityContext.privileged).toBe(true);
    expect(pod.hostPID).toBe(true); // restart: nsenter --target 1 reaches the node's systemd
    expect(c.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    const sa = find('kata-rbac.yaml', 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(sa.metadata.name);
    expect(ds.spec.selector.matchLabels).toEqual(ds.spec.template.metadata.labels);
  });

  it('kata-deploy.yaml: preStop runs cleanup and readiness runs status, with the same node root; time to clean up', () => {
    const pod = find('kata-deploy.yaml', 'DaemonSet').spec.template.spec;
    const [c] = pod.containers;
    const hostRoot = expectProgramAccepts(c.args)['--host-root'];
    const preStop: string[] = c.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe(IMAGE_ENTRYPOINT);
    expect(preStop[1]).toBe('cleanup');
    expect(expectProgramAccepts(preStop.slice(1))['--host-root']).toBe(hostRoot);
    const ready: string[] = c.readinessProbe.exec.command;
    expect(ready.slice(0, 2)).toEqual([IMAGE_ENTRYPOINT, 'status']);
    expect(expectProgramAccepts(ready.slice(1))['--host-root']).toBe(hostRoot);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(DEFAULTS.waitTimeoutMs / 1000 * 2);
  });

  it('labels: the cleanup DaemonSet selects the value cleanup sets, the RuntimeClass the value install sets', () => {
    expect(find('kata-cleanup.yaml', 'DaemonSet').spec.template.spec.nodeSelector).toEqual({ [NODE_LABEL]: 'cleanup' });
    const rc = find('runtimeclasses.yaml', 'RuntimeClass');
    expect(rc.metadata.name).toBe('kata');
    expect(rc.handler).toBe(RUNTIME_HANDLER);
    expect(rc.scheduling.nodeSelector).toEqual({ [NODE_LABEL]: 'true' });
    expect(rc.overhead.podFixed).toEqual({ memory: expect.stringMatching(/^\d+Mi$/), cpu: expect.stringMatching(/^\d+m$/) });
    expect(find('example-pod.yaml', 'Pod').spec.runtimeClassName).toBe(rc.metadata.name);
  });

  it('RBAC: nodes get and patch only, bound to the service account', () => {
    const role = find('kata-rbac.yaml', 'ClusterRole');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }]);
    const binding = find('kata-rbac.yaml', 'ClusterRoleBinding');
    const sa = find('kata-rbac.yaml', 'ServiceAccount');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace }]);
  });
});
