export { CriClient, criTarget, type CriClientOptions, type ImageServiceClient, type RuntimeServiceClient } from './cri-client';
export { CriError, type CriErrorCode } from './cri-error';
export { createUnaryClient, type CallOptions, type UnaryClient, type UnaryMethod } from './unary-client';
export type { DeepPartial, MessageType, MethodDefinition, ServiceDefinition } from './service-definition';
export { containerConfig, podSandboxConfig, podSandboxConfigFromStatus, type ContainerOptions, type PodOptions } from './pod-config';
export { criLogText, parseCriLog, type CriLogLine } from './cri-log';
export { cri } from '@kata-ts/protocols';
