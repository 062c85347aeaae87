import type { ProjectionBatch } from '../core/case-model';
import type { Db } from '../db/client';
import { writeProjection } from './projection';
import { issueResult, type IssuedResult, type ResultRequest } from './results';

export type { IssuedResult, ResultRequest } from './results';

export interface ActivityDeps {
  db: Db;
}

/** Activities are built from their dependencies; the worker wires real ones, tests their own. */
export function createActivities({ db }: ActivityDeps) {
  return {
    async projectCase(batch: ProjectionBatch): Promise<void> {
      await writeProjection(db, batch);
    },
    async issueApplicationResult(req: ResultRequest): Promise<IssuedResult> {
      return issueResult(db, req);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
