// google.rpc: the Status carried by ttrpc Responses and the canonical Code enum.
export { Status } from './gen/google/rpc/status';
export { Code } from './gen/google/rpc/code';
