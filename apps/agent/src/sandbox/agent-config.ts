/** Where the agent keeps things and which binaries it drives. */
export interface AgentConfig {
  /** State directory: bundles, stdio FIFOs, crun state, sandbox files. */
  stateRoot: string;
  /** crun binary (PATH lookup when not absolute). */
  crun: string;
  /** kata-agent-monitor binary. */
  monitor: string;
  /** kata-agent-sys binary (mount, umount, settime, ifup). */
  sysHelper: string;
  /** Where container rootfs live: `<sharedDir>/<container-id>/rootfs`. */
  sharedDir: string;
  /** Running inside the VM: may set the clock, bring up loopback, load modules. */
  guest: boolean;
}
