import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { Channel } from '../channel';
import { receivedAtOf, sinkFolder } from './sink-files';

/** A message as a local sink received it. */
export interface ReceivedMessage {
  channel: Channel;
  receivedAt: string;
  to: string;
  subject?: string;
  text: string;
  idempotencyKey?: string;
  /** The SMTP Message-ID, or the id the gateway sink answered. */
  messageId?: string;
  file: string;
}

async function filesOf(dir: string, channel: Channel): Promise<string[]> {
  const folder = sinkFolder(dir, channel);
  const names = await readdir(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return names.filter((n) => /\.(eml|json)$/.test(n)).map((n) => path.join(folder, n));
}

async function readMail(file: string): Promise<ReceivedMessage> {
  const mail = await simpleParser(await readFile(file));
  const to = [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? ''));
  return {
    channel: 'email',
    receivedAt: receivedAtOf(file),
    to: to.join(', '),
    subject: mail.subject,
    text: (mail.text ?? '').trim(),
    idempotencyKey: mail.headers.get('idempotency-key')?.toString(),
    messageId: mail.messageId,
    file,
  };
}

async function readGateway(channel: 'sms' | 'push', file: string): Promise<ReceivedMessage> {
  const kept = JSON.parse(await readFile(file, 'utf8')) as { id: string; idempotencyKey?: string; message: { to?: string; title?: string; text?: string } };
  return {
    channel,
    receivedAt: receivedAtOf(file),
    to: String(kept.message.to ?? ''),
    subject: kept.message.title,
    text: String(kept.message.text ?? ''),
    idempotencyKey: kept.idempotencyKey,
    messageId: kept.id,
    file,
  };
}

/** What the local sinks under `dir` received, oldest first: all of it, or the last `last` to `to`. */
export async function readReceived(dir: string, filter: { to?: string; last?: number; channel?: Channel } = {}): Promise<ReceivedMessage[]> {
  const channels: Channel[] = filter.channel ? [filter.channel] : ['email', 'sms', 'push'];
  const files = (await Promise.all(channels.map(async (c) => (await filesOf(dir, c)).map((file) => ({ c, file }))))).flat();
  files.sort((a, b) => path.basename(a.file).localeCompare(path.basename(b.file)));
  const messages = await Promise.all(files.map(({ c, file }) => (c === 'email' ? readMail(file) : readGateway(c, file))));
  const matching = filter.to === undefined ? messages : messages.filter((m) => m.to === filter.to);
  return filter.last === undefined ? matching : matching.slice(-filter.last);
}
