import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Config } from '../config';
import { DeliveryFailure, type Sender } from './channel';
import { providerWords } from './provider-words';

type MailConfig = Config['notifications']['mail'] & { host: string };

/** The same message always gets the same Message-ID, so a mail server or reader can tell a resend. */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'localhost';
  return `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
}

const replyCode = (response: unknown) => Number.parseInt(String(response ?? ''), 10) || undefined;

export function createSmtpSender(mail: MailConfig, timeoutMs: number): Sender {
  const transport = nodemailer.createTransport({
    host: mail.host,
    port: mail.port,
    secure: mail.secure,
    auth: mail.user ? { user: mail.user, pass: mail.password } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from: mail.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          messageId: messageIdFor(message.idempotencyKey, mail.from),
          headers: { 'Idempotency-Key': message.idempotencyKey },
        });
        return { status: replyCode(info.response) ?? 250, messageId: info.messageId };
      } catch (err) {
        const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
        // SMTP's own rule: 5xx replies are permanent, 4xx and lost connections are worth retrying.
        const status = e.responseCode;
        // The reply may quote the address or the message: the failure keeps it masked.
        throw new DeliveryFailure(providerWords(e.response ?? e.code ?? e.message ?? String(err), message), status !== undefined && status >= 500, status);
      }
    },
  };
}
