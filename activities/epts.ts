import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/failures';
import { applyChange, type PassportChange } from '../core/vehicle';
import type { Db } from '../db/client';
import { applyPassportVersion, getPassport, issueExtract, PassportWriteError, releaseVehicle } from '../db/queries/vehicles';

export interface PassportChangeRequest {
  number: string;
  vin: string;
  basedOnVersion: number;
  change: PassportChange;
  /** When the change was approved: the day it enters the passport's histories. */
  at: string;
}

export interface AppliedChange {
  version: number;
  extractCode: string;
  issuedAt: string;
}

export function createEptsActivities(db: Db) {
  return {
    /**
     * Writes the next passport version from the one the owner signed against, and its
     * extract. A retry after success finds both written by this case and returns them;
     * a passport that moved on (or was annulled) meanwhile is a permanent refusal.
     */
    async applyPassportChange(req: PassportChangeRequest): Promise<AppliedChange> {
      const base = await getPassport(db, req.vin, req.basedOnVersion);
      if (!base) throw ApplicationFailure.nonRetryable(`passport ${req.vin} has no version ${req.basedOnVersion}`, FailureType.Permanent);
      try {
        const { version } = await applyPassportVersion(db, {
          vin: req.vin,
          expectedVersion: req.basedOnVersion,
          data: applyChange(base.data, req.change, req.at, req.number),
          caseNumber: req.number,
        });
        const extract = await issueExtract(db, { vin: req.vin, version, caseNumber: req.number });
        return { version, extractCode: extract.code, issuedAt: extract.issuedAt };
      } catch (err) {
        if (err instanceof PassportWriteError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Permanent, { code: err.code });
        throw err;
      }
    },
    async releaseVehicle(req: { vin: string; number: string }): Promise<void> {
      await releaseVehicle(db, req.vin, req.number);
    },
  };
}
