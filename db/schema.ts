/** The one database schema. Migrations in db/migrations are generated from it by drizzle-kit. */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  date,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import type { AccessAction, AccessedKind } from '../audit/access-journal';
import type { CaseKind, Role } from '../core/case-model';
import type { CaseDetailByKind } from '../core/case-projection';
import type { CatalogueAction, FeeRule, FieldChanges } from '../core/catalogue';
import type { MessageType, NoticeChoices } from '../core/notices';
import type { Appointment, IssuedDocumentKind, PrintedField } from '../core/result-document';
import type { Passport, VehicleStatus } from '../core/vehicle';
import { isoFromPostgres } from './instants';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
/** Instants as ISO 8601 text in UTC, whatever form the driver hands them over in. */
const ts = customType<{ data: string; driverData: string }>({
  dataType: () => 'timestamp with time zone',
  fromDriver: isoFromPostgres,
});

export const caseNumberSeq = pgSequence('case_number_seq', { startWith: 1 });

/**
 * The service catalogue: data, editable by admins, seeded on first start. One row per
 * service naming its current version; the versions themselves never change.
 */
export const services = pgTable('services', {
  code: text('code').primaryKey(),
  /** The current version: an edit moves it on only from the version the editor saw. */
  version: integer('version').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/**
 * Every version of every service, immutable: a case keeps the terms of the version it
 * was filed under (its workflow carries them), new cases take the current one.
 */
export const serviceVersions = pgTable(
  'service_versions',
  {
    code: text('code')
      .notNull()
      .references(() => services.code),
    version: integer('version').notNull(),
    name: text('name').notNull(),
    category: text('category').notNull(),
    agency: text('agency').notNull(),
    description: text('description').notNull(),
    requiredDocuments: jsonb('required_documents').$type<string[]>().notNull(),
    formSchema: jsonb('form_schema').$type<Record<string, unknown>>().notNull(),
    termDays: integer('term_days').notNull(),
    termUnit: text('term_unit').$type<'calendar' | 'working'>().notNull(),
    fee: jsonb('fee').$type<FeeRule>().notNull(),
    minLevel: text('min_level').$type<'simplified' | 'standard' | 'confirmed'>().notNull(),
    partialEditAllowed: boolean('partial_edit_allowed').notNull(),
    resultType: text('result_type').$type<'electronic_document' | 'in_person_pickup'>().notNull(),
    paymentTermDays: integer('payment_term_days').notNull(),
    infoTermDays: integer('info_term_days').notNull(),
    /** A retired service takes no new applications; its cases carry on. */
    retired: boolean('retired').notNull().default(false),
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      sql`to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, '') || ' ' || code)`,
    ),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [
    primaryKey({ columns: [t.code, t.version] }),
    index('service_versions_search_idx').using('gin', t.searchVector),
    index('service_versions_category_idx').on(t.category),
    index('service_versions_agency_idx').on(t.agency),
  ],
);

/** The catalogue's journal: who changed which service when, field by field. */
export const catalogueChanges = pgTable(
  'catalogue_changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    code: text('code').notNull(),
    version: integer('version').notNull(),
    action: text('action').$type<CatalogueAction>().notNull(),
    at: ts('at').notNull().default(sql`now()`),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    /** Each changed field's value before (null for a new service) and after. */
    changes: jsonb('changes').$type<FieldChanges>().notNull(),
  },
  (t) => [uniqueIndex('catalogue_changes_version_uq').on(t.code, t.version)],
);

/** Non-working days (and working weekends by transfer) for working-day terms. */
export const calendarDays = pgTable('calendar_days', {
  day: date('day', { mode: 'string' }).primaryKey(),
  kind: text('kind').$type<'holiday' | 'working_weekend'>().notNull(),
});

/**
 * Every case number ever issued, written before its workflow starts: makes filing
 * idempotent per client key and a re-send unique per original case.
 */
export const caseRegistry = pgTable(
  'case_registry',
  {
    number: text('number').primaryKey(),
    kind: text('kind').notNull(),
    applicantId: text('applicant_id').notNull(),
    idempotencyKey: text('idempotency_key'),
    resentFrom: text('resent_from').references((): AnyPgColumn => caseRegistry.number),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [
    uniqueIndex('case_registry_idempotency_uq').on(t.applicantId, t.idempotencyKey),
    uniqueIndex('case_registry_resent_from_uq').on(t.resentFrom),
  ],
);

/** Read model of every case, written only by the case's workflow through activities. */
export const cases = pgTable(
  'cases',
  {
    number: text('number').primaryKey(),
    kind: text('kind').$type<CaseKind>().notNull(),
    version: integer('version').notNull(),
    status: text('status').notNull(),
    serviceCode: text('service_code'),
    agency: text('agency'),
    applicantId: text('applicant_id').notNull(),
    assigneeId: text('assignee_id'),
    submittedAt: ts('submitted_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    legalDueDate: date('legal_due_date', { mode: 'string' }),
    expectedDueDate: date('expected_due_date', { mode: 'string' }),
    dueAt: ts('due_at'),
    overdue: boolean('overdue').notNull().default(false),
    closedAt: ts('closed_at'),
    relatedNumber: text('related_number'),
    /** When the case was escalated to its desk's supervisor (`escalatedAt` of core/escalation.ts); null while it is not. */
    escalatedAt: ts('escalated_at'),
    /** The detail of the case's kind (`CaseDetailByKind`); `CaseRow` ties the two together. */
    detail: jsonb('detail').$type<CaseDetailByKind[CaseKind]>().notNull(),
    // What statistics read of the detail, derived from it by Postgres on every projection
    // (so written with the row, idempotently, and filled in for rows projected before):
    // SQL functions of migration `case_figures`.
    /** The official's current decision: approved or rejected (applications, passport changes), upheld or dismissed (appeals). */
    decision: text('decision')
      .$type<'approved' | 'rejected' | 'upheld' | 'dismissed'>()
      .generatedAlwaysAs(sql`case_decision(detail)`),
    decidedAt: ts('decided_at').generatedAlwaysAs(sql`case_decided_at(detail)`),
    /** Seconds the processing deadline's clock ran from the start of its term to the decision: paused intervals excluded. */
    processingSeconds: doublePrecision('processing_seconds').generatedAlwaysAs(sql`case_processing_seconds(detail)`),
  },
  (t) => [
    // The citizen's list order, tie included (`desc` sorts nulls first: so must the index),
    // so a page is read off the index, nothing sorted.
    index('cases_applicant_order_idx').on(t.applicantId, t.submittedAt.desc().nullsFirst(), t.number.desc().nullsFirst()),
    index('cases_applicant_status_idx').on(t.applicantId, t.status, t.submittedAt.desc()),
    index('cases_applicant_service_idx').on(t.applicantId, t.serviceCode, t.submittedAt.desc()),
    // A queue's count reads only this index: every column its usual filters name is in it.
    index('cases_queue_count_idx').on(t.agency, t.status, t.kind, t.assigneeId),
    // A queue's order: walking it finds the first page of open cases without sorting them all.
    index('cases_queue_order_idx').on(t.agency, t.dueAt.asc().nullsLast(), t.submittedAt),
    index('cases_queue_overdue_idx').on(t.agency, t.dueAt).where(sql`${t.overdue}`),
    index('cases_queue_escalated_idx').on(t.agency, t.dueAt.asc().nullsLast(), t.submittedAt).where(sql`${t.escalatedAt} is not null`),
    index('cases_related_idx').on(t.relatedNumber),
    // The admins' search: newest filed first, or soonest due first (no due date last), the number breaking ties.
    index('cases_filed_order_idx').on(t.submittedAt, t.number),
    index('cases_due_order_idx').on(sql`coalesce(${t.expectedDueDate}, 'infinity'::date)`, t.number),
    // Statistics: decisions of a period, and the cases open past their deadline now.
    index('cases_decided_idx').on(t.decidedAt).where(sql`${t.decidedAt} is not null`),
    index('cases_open_overdue_idx').on(t.kind).where(sql`${t.overdue} and ${t.closedAt} is null`),
    // Reviewers may read a document when a case of their agency carries it.
    index('cases_documents_idx').using('gin', sql`(${t.detail} -> 'documents') jsonb_path_ops`),
  ],
);

/**
 * The case timeline. (case, seq) makes a retried projection a no-op. Each entry's `hash`
 * chains it to the case's previous entry (SQL function `journal_entry_hash`, migration
 * `journal_chain`), so an entry altered or removed in the database no longer verifies.
 */
export const journal = pgTable(
  'journal',
  {
    // The projection writes the case row before its entries, in one transaction.
    caseNumber: text('case_number')
      .notNull()
      .references(() => cases.number),
    seq: integer('seq').notNull(),
    at: ts('at').notNull(),
    type: text('type').notNull(),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    clientAddress: text('client_address'),
    summary: text('summary').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    /** SHA-256 (hex) of the previous entry's hash and this entry's content; written by db/queries/journal-chain.ts. */
    hash: text('hash').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caseNumber, t.seq] }),
    // Every invoice ever issued is a journal entry: a gateway's payment finds its case by either name.
    uniqueIndex('journal_invoice_payment_id_uq').on(sql`(${t.data} ->> 'paymentId')`).where(sql`${t.type} = 'invoice_issued'`),
    uniqueIndex('journal_invoice_id_uq').on(sql`(${t.data} ->> 'invoiceId')`).where(sql`${t.type} = 'invoice_issued'`),
    // Statistics count breaches when they happened.
    index('journal_breaches_idx').on(t.at).where(sql`${t.type} = 'deadline_breached'`),
  ],
);

/** In-app inbox; one row per (case event, recipient). */
export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    recipient: text('recipient').notNull(),
    caseNumber: text('case_number')
      .notNull()
      .references(() => cases.number),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    title: text('title').notNull(),
    createdAt: ts('created_at').notNull(),
    readAt: ts('read_at'),
    /** Who marked it read: the recipient, or for a shared row (a role address) one of that role. */
    readBy: text('read_by'),
    /** The role address this row reached its recipient through (a supervisor's copy of an escalation). */
    via: text('via'),
  },
  (t) => [
    uniqueIndex('notifications_event_uq').on(t.caseNumber, t.seq, t.recipient),
    index('notifications_recipient_idx').on(t.recipient, t.createdAt.desc()),
    index('notifications_unread_idx').on(t.recipient, t.createdAt.desc()).where(sql`${t.readAt} is null`),
  ],
);

/**
 * Uploaded files' metadata; the bytes live in document storage under their hash. The
 * owner is a token subject, who need not have an account here (tokens of an external
 * provider, minted development tokens): no foreign key.
 */
export const documents = pgTable(
  'documents',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    type: text('type').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [index('documents_owner_idx').on(t.ownerId, t.createdAt.desc())],
);

/**
 * Document bytes when DOCUMENT_STORE=postgres, keyed by their SHA-256 like the local
 * directory's files, so every API instance and worker reads what any of them stored.
 */
export const documentBlobs = pgTable('document_blobs', {
  sha256: text('sha256').primaryKey(),
  content: bytea('content').notNull(),
  createdAt: ts('created_at').notNull().default(sql`now()`),
});

/**
 * The register of every document the system issues (application results, passport
 * extracts), one per (case, issue round), verifiable by its code or by its bytes' hash.
 * A case decided again after an appeal issues a new one that supersedes the old; a
 * decision overturned with nothing in its place revokes its document. Rows are never deleted.
 */
export const issuedDocuments = pgTable(
  'issued_documents',
  {
    code: text('code').primaryKey(),
    kind: text('kind').$type<IssuedDocumentKind>().notNull(),
    caseNumber: text('case_number')
      .notNull()
      .references(() => caseRegistry.number),
    /** What makes a re-issue a new document: the decision's time (results), the passport version (extracts). */
    round: text('round').notNull(),
    /** Who may download it besides the agency's officials: the applicant, the owner. */
    holderId: text('holder_id').notNull(),
    resultType: text('result_type').$type<'electronic_document' | 'in_person_pickup'>().notNull(),
    title: text('title').notNull(),
    /** Exactly what the document shows, label by label: all that public verification reveals. */
    printed: jsonb('printed').$type<PrintedField[]>().notNull(),
    /** In-person results: where and when to collect it, instead of a PDF. */
    appointment: jsonb('appointment').$type<Appointment>(),
    /** The PDF in document storage; null for in-person results. */
    sha256: text('sha256'),
    /** Detached signature of the PDF bytes (base64) and the SHA-256 of the signing key's SPKI. */
    signature: text('signature'),
    keyId: text('key_id'),
    issuedAt: ts('issued_at').notNull(),
    supersededBy: text('superseded_by').references((): AnyPgColumn => issuedDocuments.code),
    supersededAt: ts('superseded_at'),
    revokedAt: ts('revoked_at'),
    revocationReason: text('revocation_reason'),
  },
  (t) => [
    uniqueIndex('issued_documents_round_uq').on(t.caseNumber, t.round),
    uniqueIndex('issued_documents_sha256_uq').on(t.sha256),
  ],
);

/** Citizens' accounts; the id is the `sub` of their tokens. */
export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    phone: text('phone'),
    email: text('email'),
    passwordHash: text('password_hash').notNull(),
    level: text('level').$type<'simplified' | 'standard' | 'confirmed'>(),
    /** `released`: a registration that ended unconfirmed, its phone and e-mail given up for others to register. */
    status: text('status').$type<'pending' | 'active' | 'released'>().notNull(),
    snils: text('snils'),
    /** Where registered letters with confirmation codes go. */
    postalAddress: text('postal_address'),
    createdAt: ts('created_at').notNull().default(sql`now()`),
    updatedAt: ts('updated_at').notNull().default(sql`now()`),
  },
  (t) => [
    // An address belongs to the account that proved it: a pending registration holds none, so
    // nobody can block another's phone or e-mail by registering it and never confirming.
    uniqueIndex('accounts_active_phone_uq').on(t.phone).where(sql`status = 'active'`),
    uniqueIndex('accounts_active_email_uq').on(t.email).where(sql`status = 'active'`),
    index('accounts_phone_idx').on(t.phone),
    index('accounts_email_idx').on(t.email),
    uniqueIndex('accounts_snils_uq').on(t.snils),
  ],
);

/**
 * One row per one-time code the API let out (registrations, their restarts, contact
 * changes): the address as its keyed digest, never in clear, and for a registration its
 * (pending) account. Rows a day old count for nothing and are deleted as new ones come.
 */
export const codeSends = pgTable(
  'code_sends',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    recipientDigest: text('recipient_digest').notNull(),
    registrationAccountId: text('registration_account_id'),
    sentAt: ts('sent_at').notNull().default(sql`now()`),
  },
  (t) => [
    index('code_sends_recipient_idx').on(t.recipientDigest, t.sentAt),
    index('code_sends_registration_idx').on(t.registrationAccountId, t.sentAt),
    index('code_sends_sent_at_idx').on(t.sentAt),
  ],
);

/**
 * Failed sign-ins per account (`account:<id>`), or per login no account has
 * (`login:<keyed digest>`, so an unknown login answers like a known one). A success deletes
 * the row; a row a day without failures counts for nothing.
 */
export const signInFailures = pgTable(
  'sign_in_failures',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull(),
    lastFailureAt: ts('last_failure_at').notNull(),
  },
  (t) => [index('sign_in_failures_last_idx').on(t.lastFailureAt)],
);

/**
 * Messages to citizens, one per (case, message key), so a retried activity never sends
 * twice: `sent_at` is set when a provider accepted it. One-time codes carry their
 * address and text from the start; a notice of journal entry `seq` carries its text and
 * the account, whose address is read when it is sent. Letters are printed and posted
 * from here and are never sent electronically.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseNumber: text('case_number')
      .notNull()
      .references(() => caseRegistry.number),
    messageKey: text('message_key').notNull(),
    channel: text('channel').$type<'sms' | 'email' | 'push' | 'letter'>().notNull(),
    /** What it is; codes queued before types were recorded have none. */
    type: text('type').$type<MessageType>(),
    /** The citizen it is for; notices go to the account's address as it is when they are sent. */
    accountId: text('account_id').references(() => accounts.id),
    /** The journal entry a notice tells of. */
    seq: integer('seq'),
    /** The address it went (codes: goes) to; a notice's is filled in when it is sent. */
    recipient: text('recipient'),
    subject: text('subject'),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull().default(sql`now()`),
    /** An attempt is handing it to the provider until then; after that another may take it over. */
    claimedUntil: ts('claimed_until'),
    sentAt: ts('sent_at'),
    /** Given up: the provider refused it for good, or every retry failed. */
    failedAt: ts('failed_at'),
    /** The accepting provider's id of the message (SMTP Message-ID, gateway id). */
    providerMessageId: text('provider_message_id'),
  },
  (t) => [
    uniqueIndex('outbox_message_uq').on(t.caseNumber, t.messageKey),
    index('outbox_recipient_idx').on(t.recipient),
    index('outbox_case_seq_idx').on(t.caseNumber, t.seq),
  ],
);

/**
 * Every attempt to hand an outbox message to a provider, with the provider's answer.
 * Never the message itself: the text holds one-time codes.
 */
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    outboxId: bigint('outbox_id', { mode: 'number' })
      .notNull()
      .references(() => outbox.id),
    channel: text('channel').$type<'sms' | 'email' | 'push'>().notNull(),
    recipient: text('recipient').notNull(),
    outcome: text('outcome').$type<'accepted' | 'retryable' | 'rejected'>().notNull(),
    /** HTTP status or SMTP reply code; null when no answer came (timeout, refused connection). */
    providerStatus: integer('provider_status'),
    providerMessageId: text('provider_message_id'),
    error: text('error'),
    attemptedAt: ts('attempted_at').notNull().default(sql`now()`),
  },
  (t) => [index('delivery_attempts_outbox_idx').on(t.outboxId)],
);

/**
 * The channels a citizen chose per notice type (only the types they changed; the rest
 * follow the defaults). Keyed by the token subject, like documents: a subject of an
 * outside identity provider may keep choices before any account exists here.
 */
export const notificationPreferences = pgTable('notification_preferences', {
  subjectId: text('subject_id').primaryKey(),
  channels: jsonb('channels').$type<NoticeChoices>().notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

/**
 * Identity data a citizen submitted for a registry check, kept here rather than in the
 * workflow's input so that personal data never enters Temporal's history.
 */
export const identitySubmissions = pgTable('identity_submissions', {
  // Stored before the case's workflow starts, so before its row in `cases`.
  caseNumber: text('case_number')
    .primaryKey()
    .references(() => caseRegistry.number),
  accountId: text('account_id')
    .notNull()
    .references(() => accounts.id),
  snils: text('snils').notNull(),
  passportSeries: text('passport_series').notNull(),
  passportNumber: text('passport_number').notNull(),
  birthDate: date('birth_date', { mode: 'string' }).notNull(),
  citizenship: text('citizenship').$type<'RU' | 'foreign'>().notNull(),
  inn: text('inn'),
  createdAt: ts('created_at').notNull().default(sql`now()`),
});

/**
 * A citizen's request to change their e-mail or phone, kept here so the new address
 * never enters the workflow's history: the code goes to `address`; once confirmed, the
 * account takes it and `replaced_address` keeps the old one, where the change is announced.
 */
export const contactChanges = pgTable('contact_changes', {
  // Stored before the case's workflow starts, so before its row in `cases`.
  caseNumber: text('case_number')
    .primaryKey()
    .references(() => caseRegistry.number),
  accountId: text('account_id')
    .notNull()
    .references(() => accounts.id),
  /** The channel of the address changed: `sms` for the phone. */
  channel: text('channel').$type<'sms' | 'email'>().notNull(),
  address: text('address').notNull(),
  replacedAddress: text('replaced_address'),
  appliedAt: ts('applied_at'),
  createdAt: ts('created_at').notNull().default(sql`now()`),
});

/** Signatures submitted for identity confirmation; the workflow refers to them by id. */
export const identitySignatures = pgTable('identity_signatures', {
  id: text('id').primaryKey(),
  caseNumber: text('case_number')
    .notNull()
    .references(() => caseRegistry.number),
  accountId: text('account_id')
    .notNull()
    .references(() => accounts.id),
  certificatePem: text('certificate_pem').notNull(),
  signature: text('signature').notNull(),
  createdAt: ts('created_at').notNull().default(sql`now()`),
});

/** Vehicles with an electronic passport: who owns each now and which passport version is current. */
export const vehicles = pgTable(
  'vehicles',
  {
    vin: text('vin').primaryKey(),
    ownerId: text('owner_id').notNull(),
    currentVersion: integer('current_version').notNull(),
    status: text('status').$type<VehicleStatus>().notNull(),
    /** The one change case open on this vehicle, if any: a second is refused while it runs. */
    openChange: text('open_change').references(() => caseRegistry.number),
    updatedAt: ts('updated_at').notNull().default(sql`now()`),
  },
  (t) => [index('vehicles_owner_idx').on(t.ownerId)],
);

/**
 * Every version of every passport, whole, append-only. The primary key makes two
 * approvals based on one version unable to both become the next.
 */
export const passportVersions = pgTable(
  'passport_versions',
  {
    vin: text('vin')
      .notNull()
      .references(() => vehicles.vin),
    version: integer('version').notNull(),
    data: jsonb('data').$type<Passport>().notNull(),
    /** The change case that produced it; null for the passport as first issued. */
    caseNumber: text('case_number'),
    createdAt: ts('created_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.vin, t.version] })],
);

/** X.509 certificates owners registered for signing passport changes. */
export const signingCertificates = pgTable(
  'signing_certificates',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    pem: text('pem').notNull(),
    /** SHA-256 of the DER: one certificate belongs to one owner. */
    fingerprint: text('fingerprint').notNull(),
    serial: text('serial').notNull(),
    subject: text('subject').notNull(),
    issuer: text('issuer').notNull(),
    notBefore: ts('not_before').notNull(),
    notAfter: ts('not_after').notNull(),
    createdAt: ts('created_at').notNull().default(sql`now()`),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('signing_certificates_fingerprint_uq').on(t.fingerprint), index('signing_certificates_owner_idx').on(t.ownerId)],
);

/** Extracts of approved passport changes; anyone holding the code can check one. */
export const passportExtracts = pgTable(
  'extracts',
  {
    code: text('code').primaryKey(),
    vin: text('vin').notNull(),
    version: integer('version').notNull(),
    caseNumber: text('case_number').notNull(),
    issuedAt: ts('issued_at').notNull(),
  },
  (t) => [
    uniqueIndex('extracts_case_uq').on(t.caseNumber),
    foreignKey({ columns: [t.vin, t.version], foreignColumns: [passportVersions.vin, passportVersions.version] }),
  ],
);

/**
 * Acting requests sent with an `Idempotency-Key` (api/idempotency.ts): per caller, route
 * and key, what the request was (`fingerprint`) and the first answer to it. While the
 * answer is unknown the row is in flight, leased by the process acting on it until
 * `lease_until` (renewed while it acts); a retry after a dead process's lease takes over
 * (`attempt` + 1). Rows are kept for the retention and then deleted.
 */
export const idempotentRequests = pgTable(
  'idempotent_requests',
  {
    /** Whose key: `subject:<id>`, `signer:<party>` or `anonymous`. */
    scope: text('scope').notNull(),
    /** Method and route pattern, e.g. `POST /cases/:number/claim`. */
    route: text('route').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the URL and the canonical body: the same key with another request is refused. */
    fingerprint: text('fingerprint').notNull(),
    attempt: integer('attempt').notNull().default(1),
    leaseUntil: ts('lease_until'),
    /** The stored answer; null while the request is in flight. */
    status: integer('status'),
    headers: jsonb('headers').$type<Record<string, string>>(),
    body: text('body'),
    createdAt: ts('created_at').notNull().default(sql`now()`),
    completedAt: ts('completed_at'),
  },
  (t) => [primaryKey({ columns: [t.scope, t.route, t.key] }), index('idempotent_requests_created_idx').on(t.createdAt)],
);

/**
 * Who read whose personal data, when and from where (SPEC §10), next to the case journal
 * that records what was done: one row per read and data subject. Written by
 * audit/access-journal.ts, which also says which reads are not recorded. Append-only.
 */
export const accessJournal = pgTable(
  'access_journal',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: ts('at').notNull().default(sql`now()`),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').$type<Role>().notNull(),
    actorAgency: text('actor_agency'),
    action: text('action').$type<AccessAction>().notNull(),
    resourceKind: text('resource_kind').$type<AccessedKind>().notNull(),
    /** A case number, a document id, a result's code, VIN@version; for a query, its filter. */
    resourceId: text('resource_id').notNull(),
    /** The person the data is about (a token subject); null when it is about nobody in particular. */
    subjectId: text('subject_id'),
    clientAddress: text('client_address').notNull(),
    /** Ties the row to the request's log lines. */
    requestId: text('request_id').notNull(),
  },
  (t) => [
    index('access_journal_subject_idx').on(t.subjectId, t.id.desc()),
    index('access_journal_actor_idx').on(t.actorId, t.id.desc()),
    index('access_journal_at_idx').on(t.at),
  ],
);

/**
 * The events of online banks' identity callbacks that reached their case: a bank's event
 * delivered again is refused as a replay (accounts/bank-callbacks.ts). Kept like the
 * journal, as the record of what each bank told the system.
 */
export const bankCallbackEvents = pgTable(
  'bank_callback_events',
  {
    bankId: text('bank_id').notNull(),
    eventId: text('event_id').notNull(),
    caseNumber: text('case_number').notNull(),
    receivedAt: ts('received_at').notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.bankId, t.eventId] })],
);
