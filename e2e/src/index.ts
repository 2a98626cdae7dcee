export { startCriContainerd, CRI_NAMESPACE, PAUSE_IMAGE, type CriContainerd, type CriContainerdOptions } from './cri-containerd';
export { buildPauseImage } from './pause-image';
export { createCniNetwork, type CniNetwork } from './cni-network';
export { installKata, kataInstallAt, type KataInstall } from './kata-install';
export { runTwoContainerPod, startContainer, waitExited, containerStdout, type TwoContainerPod } from './two-container-pod';
export { assertPodGone } from './leaks';
