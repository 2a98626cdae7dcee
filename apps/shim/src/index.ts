// The shim is an executable (main.ts); these are for tests and tools (kata-runtime) that read its layout.
export { parseShimArgs, type ShimArgs } from './cli/shim-args';
export { shimSocketPath, socketAddress, SHIM_SOCKET_DIR } from './shim-address';
export { podIdentity, CONTAINER_TYPE_ANNOTATION, SANDBOX_ID_ANNOTATION } from './bundle';
export { runDir, sandboxPaths, type SandboxPaths } from './run-paths';
export { readSandboxState, type SandboxState } from './sandbox/sandbox-state';
export { SHIM_VERSION } from './task-service';
