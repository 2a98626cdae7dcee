/** A filesystem the agent mounts in the guest (Kata's Storage message, as the domain sees it). */
export interface GuestStorage {
  driver: string;
  source: string;
  fstype: string;
  options: string[];
  mountPoint: string;
}

/** CreateSandbox, as the domain sees it on both sides of the wire. */
export interface SandboxRequest {
  sandboxId: string;
  hostname: string;
  dns: string[];
  /** The pod's containers share one PID namespace in the guest. */
  sandboxPidns: boolean;
  /** `name [param ...]`, as in Kata's `[agent.kata] kernel_modules`. */
  kernelModules: string[];
  storages: GuestStorage[];
}
