import { status } from '@grpc/grpc-js';
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/**
 * Whether a client call failed because Temporal cannot be reached, not because the server
 * refused it: the SDK wraps the gRPC error (`ServiceError`, an update's RPC timeout) as the
 * cause, so the chain is searched.
 */
export function isTemporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(e) && (e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED)) return true;
  }
  return false;
}
