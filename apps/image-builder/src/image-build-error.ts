import { KataError } from '@kata-ts/errors';

export type ImageBuildErrorCode =
  | 'TOOL_MISSING'
  | 'COMMAND_FAILED'
  | 'PACKAGE_NOT_FOUND'
  | 'NO_SPACE'
  | 'BAD_KERNEL'
  | 'MODULE_NOT_FOUND'
  | 'AGENT_MISSING';

/** A guest image build failure with a stable code and a message that says what to do. */
export class ImageBuildError extends KataError<ImageBuildErrorCode> {}
