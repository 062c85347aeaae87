/**
 * What citizens are told and where (SPEC §6): the notice types they choose channels for,
 * the defaults, and which journal intents become messages. Pure, safe in workflow code.
 */
import type { JournalEntry, NotificationType } from './case-model';

/** The channels a message leaves by; the in-app inbox gets every notice regardless. */
export const DELIVERY_CHANNELS = ['email', 'sms', 'push'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

/** The notices a citizen chooses channels for. */
export const CITIZEN_NOTICE_TYPES = [
  'submission_confirmed',
  'status_changed',
  'documents_requested',
  'deadline_approaching',
  'personal_data_updated',
  'identity_level_changed',
  'appeal_result',
  'sale_awaiting_buyer',
  'result_issued',
] as const satisfies readonly NotificationType[];
export type CitizenNoticeType = (typeof CITIZEN_NOTICE_TYPES)[number];

/** Sent on the channel the citizen asked the code on (letters by post): never switched off. */
export const CODE_TYPES = ['one_time_code', 'letter_code'] as const;
export type CodeType = (typeof CODE_TYPES)[number];

/** Every kind of message in the outbox. */
export type MessageType = CitizenNoticeType | CodeType;

const EMAIL_AND_PUSH: readonly DeliveryChannel[] = ['email', 'push'];
const EVERY_CHANNEL: readonly DeliveryChannel[] = ['email', 'sms', 'push'];

/** Mail and push for most; an SMS too where the citizen has to act before a date. */
export const DEFAULT_CHANNELS: Record<CitizenNoticeType, readonly DeliveryChannel[]> = {
  submission_confirmed: EMAIL_AND_PUSH,
  status_changed: EMAIL_AND_PUSH,
  documents_requested: EVERY_CHANNEL,
  deadline_approaching: EVERY_CHANNEL,
  personal_data_updated: EMAIL_AND_PUSH,
  identity_level_changed: EMAIL_AND_PUSH,
  appeal_result: EMAIL_AND_PUSH,
  sale_awaiting_buyer: EVERY_CHANNEL,
  result_issued: EMAIL_AND_PUSH,
};

/** A citizen's choices: the types they changed; the rest follow the defaults. */
export type NoticeChoices = Partial<Record<CitizenNoticeType, DeliveryChannel[]>>;

export const isCitizenNotice = (type: string): type is CitizenNoticeType => (CITIZEN_NOTICE_TYPES as readonly string[]).includes(type);

/** The channels of every type, in the order of DELIVERY_CHANNELS. */
export function effectiveChannels(choices: NoticeChoices | null | undefined): Record<CitizenNoticeType, DeliveryChannel[]> {
  return Object.fromEntries(
    CITIZEN_NOTICE_TYPES.map((t) => {
      const chosen = choices?.[t] ?? DEFAULT_CHANNELS[t];
      return [t, DELIVERY_CHANNELS.filter((c) => chosen.includes(c))];
    }),
  ) as Record<CitizenNoticeType, DeliveryChannel[]>;
}

/** A notice the projection turns into messages: entry `seq` tells `recipient` about `type`. */
export interface PlannedNotice {
  seq: number;
  recipient: string;
  type: CitizenNoticeType;
}

/**
 * The citizen notices of projected entries. Role inboxes (`agency:…`) are officials'. A
 * status change that comes with a notice of its own to the same person (an information
 * request moves the case to "awaiting info", an issued result completes it) is not sent
 * a second time: the notice names the status anyway. The inbox keeps both.
 */
export function plannedNotices(entries: readonly JournalEntry[]): PlannedNotice[] {
  const all = entries.flatMap((e) =>
    (e.notify ?? []).filter((n) => !n.recipient.includes(':') && isCitizenNotice(n.type)).map((n) => ({ seq: e.seq, at: e.at, recipient: n.recipient, type: n.type as CitizenNoticeType })),
  );
  const saidOtherwise = (n: (typeof all)[number]) =>
    n.type === 'status_changed' && all.some((o) => o !== n && o.type !== 'status_changed' && o.recipient === n.recipient && o.at === n.at);
  return all.filter((n) => !saidOtherwise(n)).map(({ seq, recipient, type }) => ({ seq, recipient, type }));
}

/** Deliveries of a case's notices are retried this often before they are given up (and logged). */
export const NOTICE_DELIVERY_ATTEMPTS = 10;
