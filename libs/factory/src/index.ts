export { FactoryError, type FactoryErrorCode } from './factory-error';
export { templateInputs, templateKey, type FileIdentity, type TemplateInputs } from './template-key';
export { VmFactory, type TemplateInfo, type VmFactoryOptions } from './vm-factory';
export { DEBUG_CONSOLE_VSOCK_PORT, kernelParams } from './kernel-params';
export { SHARED_DIR_TAG, sandboxVmConfig, type SandboxVmPlace } from './sandbox-vm-config';
export { connectAgentChannel, waitForAgentReady, type AgentChannelConnection } from './agent-channel';
