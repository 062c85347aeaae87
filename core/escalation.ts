import type { CaseProjection } from './case-projection';

/**
 * When a case was escalated to its desk's supervisor: the breach of its processing
 * deadline (the breach's notice goes to the supervisor). A review that starts anew
 * (reopened on appeal) starts a fresh deadline, and the case is no longer escalated.
 */
export function escalatedAt(p: CaseProjection): string | null {
  return p.kind === 'identity' ? null : (p.detail.deadline?.breachedAt ?? null);
}
