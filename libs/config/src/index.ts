export { ConfigError, type ConfigErrorCode } from './config-error';
export type {
  Accelerator,
  AgentConfig,
  ConfigSource,
  KataConfig,
  ProxyConfig,
  QemuConfig,
  RuntimeConfig,
  SharedFs,
} from './kata-config';
export { parseConfig, DEFAULT_QEMU_PATH } from './parse-config';
export {
  findConfig,
  prefixDefaultConfig,
  ETC_CONFIG,
  SYSTEM_DEFAULT_CONFIG,
  type FindConfigOptions,
  type FoundConfig,
} from './find-config';
export { loadConfig, loadConfigFile, mergeTables, type LoadConfigOptions } from './load-config';
export { checkConfigPaths } from './check-config-paths';
export { applyAnnotations, ANNOTATION_PREFIX, type AppliedAnnotations } from './apply-annotations';
export { renderConfigTemplate, CONFIG_TEMPLATE_PATH, type TemplatePaths } from './render-config-template';
