export { FactoryError, type FactoryErrorCode } from './factory-error';
export { templateInputs, templateKey, type FileIdentity, type TemplateInputs } from './template-key';
export { reapTemplateMaking, VmFactory, type TemplateInfo, type TemplateMaking, type VmFactoryOptions } from './vm-factory';
export { kernelParams } from './kernel-params';
export { sandboxVmConfig, type SandboxVmPlace } from './sandbox-vm-config';
export { startSandboxVm, type StartSandboxVmOptions } from './start-sandbox-vm';
