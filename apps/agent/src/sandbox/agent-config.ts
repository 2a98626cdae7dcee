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

/** The guest path where Kata mounts the `kataShared` 9p share. */
export const GUEST_SHARED_DIR = '/run/kata-containers/shared/containers';
