export { startContainerd, type PrivateContainerd, type StartContainerdOptions } from './start-containerd';
export { buildBusyboxImage, importBusyboxImage, BUSYBOX_IMAGE } from './busybox-image';
export { assertNoLeaks, type LeakCheckOptions } from './assert-no-leaks';
export { findHarnessProcesses, killHarnessProcesses, HARNESS_ENV, type HarnessProcess } from './harness-processes';
export { mountsUnder, unmountUnder } from './mounts-under';
export { runCommand, type CommandResult, type RunOptions } from './run-command';
export { bootConfig, bootGuest, waitForConsole, type BootedGuest, type BootOptions } from './boot-guest';
export { REPO_ROOT, GUEST_IMAGE } from './repo';
