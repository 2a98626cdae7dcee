// google.protobuf well-known types, generated from protoc's include dir.
export { Any } from './gen/google/protobuf/any';
export { Empty } from './gen/google/protobuf/empty';
export { Timestamp } from './gen/google/protobuf/timestamp';
