export { runTwoContainerPod, startContainer, waitExited, containerStdout, type TwoContainerPod } from './two-container-pod';
export { installKata, kataInstallAt, type KataInstall } from './kata-install';
export { assertAllGone, entries, shimSocketOf } from './leaks';
