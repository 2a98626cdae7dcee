export { startCriContainerd, CRI_NAMESPACE, PAUSE_IMAGE, type CriContainerd, type CriContainerdOptions } from './cri-containerd';
export { buildPauseImage } from './pause-image';
export { installKata, kataInstallAt, type KataInstall } from './kata-install';
export { runTwoContainerPod, waitExited, containerStdout, type TwoContainerPod } from './two-container-pod';
export { assertPodGone } from './leaks';
