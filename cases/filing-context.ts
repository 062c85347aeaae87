import type { Client } from '@temporalio/client';
import type { ActionMeta } from '../core/case-model';
import type { Principal } from '../core/principal';
import type { Db } from '../db/client';

/** What filing any kind of case needs: the stores, who files, from where, and the retry key. */
export interface FilingContext {
  db: Db;
  temporal: Client;
  taskQueue: string;
  who: Principal;
  meta: Omit<ActionMeta, 'actor'>;
  /** The request's action key (api/idempotency.ts): the same key again finds the case it filed the first time. */
  idempotencyKey?: string;
}
