export type * from './spec';
export { specToProto, processToProto, resourcesToProto } from './to-proto';
export { specFromProto, processFromProto, resourcesFromProto } from './from-proto';
export { parseOciJson, stringifyOciJson } from './oci-json';
export { uint64ToProto, uint64FromProto } from './uint64';
export { OciError, type OciErrorCode } from './oci-error';
export { validateId, validateProcess, validateSpec } from './validate';
export { ociProcessFromAny, ociResourcesFromAny } from './oci-any';
