export { runTwoContainerPod, startContainer, waitExited, containerStdout, type TwoContainerPod } from './two-container-pod';
export { assertAllGone, entries, shimSocketOf } from './leaks';
export { waitFor, taskStatus, processGone } from './ctr';
export { ctrSuite, CtrSuite } from './ctr-suite';
