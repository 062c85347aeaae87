/**
 * The Russian texts of citizen notices: one template per type and channel (e-mail subject
 * and body, a short SMS, push title and body), each naming the case, its service and the
 * portal's status label. They hold no personal data: a message may be resent as it is.
 */
import type { AccountLevel, JournalEntry } from './case-model';
import type { CaseProjection } from './case-projection';
import { ACCOUNT_LEVEL_LABELS } from './identity';
import type { CitizenNoticeType, DeliveryChannel } from './notices';
import { printedDay, type Appointment } from './result-document';
import { statusLabel } from './status-labels';

export interface NoticeContext {
  type: CitizenNoticeType;
  caseNumber: string;
  /** The service's name, or what an identity case is for. */
  service: string;
  statusLabel: string;
  /** The date the citizen has to act by (an answer, a confirmation), ISO. */
  dueAt?: string;
  daysLeft?: number;
  /** Identity cases: the level the case is about. */
  level?: AccountLevel;
  /** A result to be collected in person: where and when. */
  appointment?: Appointment;
  /** Personal data updated: which (a confirmation by letter saves the postal address). */
  changed?: ChangedData;
}

export interface NoticeText {
  /** E-mail subject, push title; none for SMS. */
  subject: string;
  text: string;
}

/** What an identity case is for, in place of a service's name. */
const IDENTITY_SERVICE: Record<AccountLevel, string> = {
  simplified: 'Регистрация на портале',
  standard: 'Повышение уровня учётной записи до «стандартная»',
  confirmed: 'Повышение уровня учётной записи до «подтверждённая»',
};
const CONTACT_CHANGE_SERVICE = 'Изменение контактных данных';

type ChangedData = 'postal_address' | 'email' | 'phone';
const CHANGED_DATA: Record<ChangedData, string> = {
  postal_address: 'адрес для заказного письма',
  email: 'адрес электронной почты',
  phone: 'номер телефона',
};

/** A notice of `entry` as the case stood after the projected batch `p`. */
export function noticeContext(p: CaseProjection, entry: Pick<JournalEntry, 'type' | 'data'>, type: CitizenNoticeType): NoticeContext {
  const data = entry.data ?? {};
  // A status change names the status it moved to, even when the same batch moved on.
  const status = entry.type === 'status_changed' && typeof data.to === 'string' ? data.to : p.status;
  const level = p.kind === 'identity' && 'levelRequested' in p.detail ? p.detail.levelRequested : undefined;
  const contactChange = p.kind === 'identity' && p.detail.purpose === 'contact_change' ? p.detail : undefined;
  return {
    type,
    caseNumber: p.number,
    service: p.kind !== 'identity' ? (p.detail.serviceName ?? 'Жалоба на решение') : level ? IDENTITY_SERVICE[level] : CONTACT_CHANGE_SERVICE,
    statusLabel: statusLabel(p.kind, status),
    dueAt: typeof data.dueAt === 'string' ? data.dueAt : undefined,
    daysLeft: typeof data.daysLeft === 'number' ? data.daysLeft : undefined,
    level,
    appointment: isAppointment(data.appointment) ? data.appointment : undefined,
    changed: contactChange && (contactChange.channel === 'sms' ? 'phone' : 'email'),
  };
}

const isAppointment = (a: unknown): a is Appointment =>
  typeof a === 'object' && a !== null && ['office', 'date', 'time'].every((k) => typeof (a as Record<string, unknown>)[k] === 'string');

const day = new Intl.DateTimeFormat('ru-RU', { timeZone: 'Europe/Moscow', day: '2-digit', month: '2-digit', year: 'numeric' });
const until = (c: NoticeContext) => (c.dueAt ? ` до ${day.format(new Date(c.dueAt))}` : '');

interface Wording {
  /** After the case number in a subject: "статус «В работе»". */
  headline: string;
  /** The e-mail's first paragraph. */
  lead: string;
  /** The SMS's news, as short as it gets. */
  short: string;
}

const WORDING: Record<CitizenNoticeType, (c: NoticeContext) => Wording> = {
  submission_confirmed: () => ({
    headline: 'заявление получено',
    lead: 'Ваше заявление зарегистрировано и передано на рассмотрение.',
    short: 'заявление получено',
  }),
  status_changed: (c) => ({
    headline: `статус «${c.statusLabel}»`,
    lead: `Статус вашего заявления изменился: «${c.statusLabel}».`,
    short: 'статус изменён',
  }),
  documents_requested: (c) => ({
    headline: 'требуется уточнение',
    lead: `Ведомство просит уточнить сведения или приложить документы${until(c)}. Ответьте в личном кабинете; пока ответа нет, срок рассмотрения не идёт.`,
    short: `ответьте на запрос ведомства${until(c)}`,
  }),
  deadline_approaching: (c) => ({
    headline: `осталось дней: ${c.daysLeft ?? '—'}`,
    lead: `Приближается ваш срок: осталось дней — ${c.daysLeft ?? '—'} (срок${until(c) || ' указан в личном кабинете'}). Что нужно сделать, указано в личном кабинете.`,
    short: `осталось дней: ${c.daysLeft ?? '—'}, срок${until(c)}`,
  }),
  personal_data_updated: (c) => ({
    headline: 'изменены данные учётной записи',
    lead: `В вашей учётной записи изменены персональные данные (${CHANGED_DATA[c.changed ?? 'postal_address']}). Если это сделали не вы, обратитесь в службу поддержки.`,
    short: 'изменены данные учётной записи',
  }),
  identity_level_changed: (c) => {
    const level = c.level ? ACCOUNT_LEVEL_LABELS[c.level] : 'новый';
    return {
      headline: `уровень учётной записи «${level}»`,
      lead: `Уровень вашей учётной записи теперь «${level}». Войдите на портал заново, чтобы он вступил в силу.`,
      short: `уровень учётной записи «${level}»`,
    };
  },
  appeal_result: (c) => ({
    headline: `жалоба рассмотрена: «${c.statusLabel}»`,
    lead: `Ваша жалоба рассмотрена, решение: «${c.statusLabel}». Мотивы решения и что делать дальше — в личном кабинете.`,
    short: 'жалоба рассмотрена',
  }),
  sale_awaiting_buyer: (c) => ({
    headline: 'подтвердите покупку',
    lead: `Продавец оформил продажу вам транспортного средства. Подтвердите покупку электронной подписью в личном кабинете${until(c)}, иначе сделка не состоится.`,
    short: `подтвердите покупку${until(c)}`,
  }),
  // A result collected in person says where and when: the citizen has nothing to download.
  result_issued: ({ appointment: a }) =>
    a
      ? {
          headline: `результат готов к получению ${printedDay(a.date)}`,
          lead: `Результат оказания услуги готов к получению лично: ${a.office}, ${printedDay(a.date)}, ${a.time}. Возьмите с собой паспорт.`,
          short: `результат можно получить ${printedDay(a.date)} в ${a.time}: ${a.office}`,
        }
      : {
          headline: 'результат готов',
          lead: 'Результат оказания услуги готов: он доступен в личном кабинете.',
          short: 'результат готов',
        },
};

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The message of a notice on one channel. */
export function noticeText(c: NoticeContext, channel: DeliveryChannel): NoticeText {
  const w = WORDING[c.type](c);
  switch (channel) {
    case 'email':
      return {
        subject: `${c.caseNumber}: ${w.headline}`,
        text: [
          'Здравствуйте!',
          '',
          w.lead,
          '',
          `Номер: ${c.caseNumber}`,
          `Услуга: ${c.service}`,
          `Статус: ${c.statusLabel}`,
          '',
          'Подробности — в личном кабинете на портале госуслуг.',
          'Это письмо отправлено автоматически, отвечать на него не нужно.',
        ].join('\n'),
      };
    case 'sms':
      return { subject: '', text: `Госуслуги: ${c.caseNumber} (${c.service}) — ${w.short}. Статус: «${c.statusLabel}».` };
    case 'push':
      return { subject: capitalised(w.headline), text: `${c.caseNumber} · ${c.service}. Статус: «${c.statusLabel}»` };
  }
}
