import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { KataError } from '@kata-ts/errors';

/** The gRPC status name, e.g. `NOT_FOUND`; stable for callers to branch on. */
export type CriErrorCode = keyof typeof GrpcStatus;

/** A failed CRI call: the server's gRPC status (or the client's own DEADLINE_EXCEEDED/UNAVAILABLE). */
export class CriError extends KataError<CriErrorCode> {
  readonly grpcCode: GrpcStatus;
  readonly method: string;
  readonly details: string;

  constructor(method: string, grpcCode: GrpcStatus, details: string) {
    const code = (GrpcStatus[grpcCode] ?? 'UNKNOWN') as CriErrorCode;
    super(code, `${method}: ${code}: ${details}`);
    this.grpcCode = grpcCode;
    this.method = method;
    this.details = details;
  }

  /** Wraps grpc-js's ServiceError (anything else becomes UNKNOWN with its message). */
  static from(method: string, err: unknown): CriError {
    if (err instanceof CriError) return err;
    const e = err as Partial<ServiceError>;
    if (typeof e?.code === 'number') return new CriError(method, e.code, e.details ?? e.message ?? '');
    return new CriError(method, GrpcStatus.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}
