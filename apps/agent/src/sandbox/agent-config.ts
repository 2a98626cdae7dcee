/** Where the agent keeps things and which binaries it drives. */
export interface AgentConfig {
  /** State directory: bundles, stdio FIFOs, crun state, sandbox files. */
  stateRoot: string;
  /** crun binary (PATH lookup when not absolute). */
  crun: string;
  /** kata-agent-monitor binary. */
  monitor: string;
  /** kata-agent-sys binary (mount, umount, settime, reseed). */
  sysHelper: string;
  /** iproute2's ip (PATH lookup when not absolute): the pod's interfaces, routes and neighbours. */
  ip: string;
  /** Where container rootfs live: `<sharedDir>/<container-id>/rootfs`. */
  sharedDir: string;
  /** Running inside the VM: may set the clock, bring up loopback, load modules. */
  guest: boolean;
}
