// containerd.types (Mount, Envelope, Metric) and containerd.v1.types (task Status, Process, ProcessInfo):
// one namespace, as their names do not clash.
export { Mount } from './gen/containerd/types/mount';
export { Envelope } from './gen/containerd/types/event';
export { Metric } from './gen/containerd/types/metrics';
export { Status, Process, ProcessInfo } from './gen/containerd/types/task/task';
