import { ApplicationFailure } from '@temporalio/common';
import { CHANGE_KIND_LABELS, type EptsChangeResult } from '../core/epts';
import { FailureType } from '../core/failures';
import { agencyName, printedDate, type PrintedField } from '../core/result-document';
import { applyChange, type Passport, type PassportChange, type TechnicalCharacteristics } from '../core/vehicle';
import type { Db } from '../db/client';
import { getAccountName } from '../db/queries/accounts';
import { applyPassportVersion, getPassport, issueExtract, PassportWriteError, releaseVehicle } from '../db/queries/vehicles';
import type { DocumentIssuer } from '../results/issue';
import { NAME_UNKNOWN } from './results';

export interface PassportChangeRequest {
  number: string;
  vin: string;
  basedOnVersion: number;
  change: PassportChange;
  /** When the change was approved: the day it enters the passport's histories. */
  at: string;
}

export type AppliedChange = EptsChangeResult;

const TECHNICAL_LABELS: Record<keyof TechnicalCharacteristics, string> = {
  bodyType: 'тип кузова',
  color: 'цвет',
  engineType: 'тип двигателя',
  engineVolumeCc: 'рабочий объём, см³',
  enginePowerKw: 'мощность, кВт',
  maxMassKg: 'разрешённая максимальная масса, кг',
  ecoClass: 'экологический класс',
};

const ANNULMENT_LABELS = { disposal: 'утилизация', export: 'вывоз за пределы РФ', theft: 'хищение', destroyed: 'уничтожение' } as const;

function changeText(change: PassportChange): string {
  switch (change.kind) {
    case 'plate':
      return `новый регистрационный знак ${change.payload.plate}`;
    case 'technical':
      return Object.entries(change.payload.technical)
        .map(([key, value]) => `${TECHNICAL_LABELS[key as keyof TechnicalCharacteristics] ?? key}: ${String(value)}`)
        .join('; ');
    case 'sale':
      return `смена собственника по договору от ${change.payload.contractDate.split('-').reverse().join('.')}`;
    case 'annulment':
      return `причина: ${ANNULMENT_LABELS[change.payload.reason]}`;
  }
}

async function extractFields(db: Db, number: string, passport: Passport, version: number, change: PassportChange, at: string): Promise<PrintedField[]> {
  return [
    { label: 'Номер заявления', value: number },
    { label: 'VIN', value: passport.vin },
    { label: 'Транспортное средство', value: `${passport.make} ${passport.model}, ${passport.year} г. в.` },
    { label: 'Регистрационный знак', value: passport.plate ?? 'нет' },
    { label: 'Изменение', value: `${CHANGE_KIND_LABELS[change.kind]}: ${changeText(change)}` },
    { label: 'Собственник', value: (await getAccountName(db, passport.ownerId)) ?? NAME_UNKNOWN },
    { label: 'Версия паспорта', value: String(version) },
    { label: 'Дата решения', value: printedDate(at) },
    { label: 'Орган, принявший решение', value: agencyName('gibdd') },
  ];
}

export function createEptsActivities(db: Db, issue: DocumentIssuer) {
  return {
    /**
     * Writes the next passport version from the one the owner signed against, and its
     * extract (a signed PDF). A retry after success finds them written by this case and
     * returns them; a passport that moved on (or was annulled) meanwhile is a permanent refusal.
     */
    async applyPassportChange(req: PassportChangeRequest): Promise<AppliedChange> {
      const base = await getPassport(db, req.vin, req.basedOnVersion);
      if (!base) throw ApplicationFailure.nonRetryable(`passport ${req.vin} has no version ${req.basedOnVersion}`, FailureType.Permanent);
      let version: number;
      try {
        ({ version } = await applyPassportVersion(db, {
          vin: req.vin,
          expectedVersion: req.basedOnVersion,
          data: applyChange(base.data, req.change, req.at, req.number),
          caseNumber: req.number,
        }));
      } catch (err) {
        if (err instanceof PassportWriteError) throw ApplicationFailure.nonRetryable(err.message, FailureType.Permanent, { code: err.code });
        throw err;
      }
      const extract = await issueExtract(db, { vin: req.vin, version, caseNumber: req.number });
      const passport = (await getPassport(db, req.vin, version))!.data;
      const doc = await issue({
        kind: 'passport_extract',
        caseNumber: req.number,
        round: `version-${version}`,
        holderId: passport.ownerId,
        resultType: 'electronic_document',
        issuer: agencyName('gibdd'),
        title: `Выписка из электронного паспорта транспортного средства ${req.vin}`,
        fields: await extractFields(db, req.number, passport, version, req.change, req.at),
        code: extract.code,
      });
      return { version, extractCode: extract.code, issuedAt: extract.issuedAt, sha256: doc.sha256 };
    },
    async releaseVehicle(req: { vin: string; number: string }): Promise<void> {
      await releaseVehicle(db, req.vin, req.number);
    },
  };
}
