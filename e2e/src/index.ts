export { startCriContainerd, CRI_NAMESPACE, PAUSE_IMAGE, type CriContainerd, type CriContainerdOptions } from './cri-containerd';
export { buildPauseImage } from './pause-image';
