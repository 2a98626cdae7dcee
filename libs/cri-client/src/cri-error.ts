import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** The gRPC status name, e.g. `NOT_FOUND`; stable for callers to branch on. */
export type CriErrorCode = keyof typeof GrpcStatus;

const BRAND = Symbol.for('kata-ts.CriError');

/** A failed CRI call: the server's gRPC status (or the client's own DEADLINE_EXCEEDED/UNAVAILABLE). */
export class CriError extends Error {
  override readonly name = 'CriError';
  readonly code: CriErrorCode;
  readonly grpcCode: GrpcStatus;
  readonly method: string;
  readonly details: string;

  constructor(method: string, grpcCode: GrpcStatus, details: string) {
    const code = (GrpcStatus[grpcCode] ?? 'UNKNOWN') as CriErrorCode;
    super(`${method}: ${code}: ${details}`);
    this.code = code;
    this.grpcCode = grpcCode;
    this.method = method;
    this.details = details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Wraps grpc-js's ServiceError (anything else becomes UNKNOWN with its message). */
  static from(method: string, err: unknown): CriError {
    if (err instanceof CriError) return err;
    const e = err as Partial<ServiceError>;
    if (typeof e?.code === 'number') return new CriError(method, e.code, e.details ?? e.message ?? '');
    return new CriError(method, GrpcStatus.UNKNOWN, err instanceof Error ? err.message : String(err));
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }
}
