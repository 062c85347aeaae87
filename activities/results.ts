import type { IssuedResult } from '../core/application';
import { agencyName, pickupAppointment, printedDate, printedDay, type PrintedField } from '../core/result-document';
import type { Db } from '../db/client';
import { getAccountName } from '../db/queries/accounts';
import { getCase } from '../db/queries/cases';
import { getCalendar } from '../db/queries/catalogue';
import { revokeIssuedDocument } from '../db/queries/issued-documents';
import type { DocumentIssuer } from '../results/issue';

export interface ResultRequest {
  number: string;
  serviceCode: string;
  serviceName: string;
  applicantId: string;
  resultType: 'electronic_document' | 'in_person_pickup';
  decidedAt: string;
}

export interface ResultDeps {
  db: Db;
  issue: DocumentIssuer;
  /** Where in-person results are collected. */
  pickupOffice: string;
}

/** Names stay in Postgres: the workflow hands over the applicant's id, the document prints their name. */
export const NAME_UNKNOWN = 'не указано';

/**
 * One document per decision: a retry returns the one the first attempt registered, and a
 * new decision after an appeal issues a new one that supersedes the old.
 */
export async function issueResult({ db, issue, pickupOffice }: ResultDeps, req: ResultRequest): Promise<IssuedResult> {
  const electronic = req.resultType === 'electronic_document';
  // The case's agency is in its read model: the workflow's request stays as it was.
  const agency = (await getCase(db, req.number))?.agency ?? '';
  const appointment = electronic ? undefined : pickupAppointment(pickupOffice, req.decidedAt, await getCalendar(db));
  const fields: PrintedField[] = [
    { label: 'Номер заявления', value: req.number },
    { label: 'Услуга', value: req.serviceName },
    { label: 'Заявитель', value: (await getAccountName(db, req.applicantId)) ?? NAME_UNKNOWN },
    { label: 'Решение', value: electronic ? 'Заявление одобрено, услуга оказана' : 'Заявление одобрено; результат выдаётся лично' },
    { label: 'Дата решения', value: printedDate(req.decidedAt) },
    { label: 'Орган, принявший решение', value: agencyName(agency) },
    ...(appointment
      ? [
          { label: 'Место получения', value: appointment.office },
          { label: 'Дата и время получения', value: `${printedDay(appointment.date)}, ${appointment.time}` },
        ]
      : []),
  ];
  const doc = await issue({
    kind: 'application_result',
    caseNumber: req.number,
    round: req.decidedAt,
    holderId: req.applicantId,
    resultType: req.resultType,
    issuer: agencyName(agency),
    title: electronic
      ? `Результат услуги «${req.serviceName}» по заявлению ${req.number}`
      : `Приглашение за результатом услуги «${req.serviceName}» по заявлению ${req.number}`,
    fields,
    appointment,
  });
  return {
    verificationCode: doc.code,
    resultType: doc.resultType,
    title: doc.title,
    issuedAt: doc.issuedAt,
    sha256: doc.sha256,
    appointment: doc.appointment,
  };
}

export interface RevocationRequest {
  number: string;
  verificationCode: string;
  /** The appeal that overturned the decision the document stood on. */
  appeal: string;
}

export async function revokeResult(db: Db, req: RevocationRequest): Promise<void> {
  await revokeIssuedDocument(db, req.verificationCode, 'решение, на котором основан документ, отменено по жалобе');
}
