import type { OutgoingMessage } from './channel';

/** Long enough to tell one refusal from another, short enough that no echoed message fits. */
const MAX_LENGTH = 200;
const EMAIL = /<?[^\s<>"'(),;:]+@[^\s<>"'(),;:]+>?/g;
/** Ten digits or more, spaced or not: a phone number in any of its spellings. */
const PHONE = /\+?\d(?:[\s().-]{0,2}\d){9,}/g;
/** A one-time code or letter code is four digits or more. */
const DIGITS = /\d{4,}/g;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What a provider said about a message, as the delivery log and the activity's failure
 * may keep it: providers quote the address ("550 <anna@…>: mailbox unavailable"), a
 * number ("invalid destination +7912…") or the message itself, while the log keeps no
 * personal data beyond its recipient column and never a code. So every address, phone
 * number and line of the message, and every run of digits the message holds, is masked.
 */
export function providerWords(said: string, message: Pick<OutgoingMessage, 'to' | 'subject' | 'text'>): string {
  let words = said.replace(EMAIL, '<address>');
  if (message.to) words = words.replace(new RegExp(escape(message.to), 'gi'), '<address>');
  // Lines of the message first, longest first, so a quoted sentence goes as a whole.
  const lines = [message.subject, ...message.text.split('\n')]
    .map((l) => l?.trim() ?? '')
    .filter((l) => l.length >= 8)
    .sort((a, b) => b.length - a.length);
  for (const line of lines) words = words.split(line).join('<text>');
  const messageDigits = new Set(`${message.subject} ${message.text}`.match(DIGITS) ?? []);
  words = words
    .replace(PHONE, '<number>')
    .replace(DIGITS, (run) => ([...messageDigits].some((d) => d.includes(run) || run.includes(d)) ? '<digits>' : run));
  return words.length > MAX_LENGTH ? `${words.slice(0, MAX_LENGTH - 1)}…` : words;
}
