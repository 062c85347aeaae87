import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Channel } from '../channel';

export interface RunningSink {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Where each sink keeps what it received: DATA_DIR/sinks/<mail|sms|push>/. */
export const sinkFolder = (dir: string, channel: Channel) => path.join(dir, channel === 'email' ? 'mail' : channel);

/** File names start with the arrival time, so the newest sorts last. */
export async function keepReceived(dir: string, channel: Channel, extension: 'eml' | 'json', content: string | Buffer): Promise<string> {
  const folder = sinkFolder(dir, channel);
  await mkdir(folder, { recursive: true });
  const file = path.join(folder, `${Date.now()}-${randomBytes(4).toString('hex')}.${extension}`);
  await writeFile(file, content);
  return file;
}

export const receivedAtOf = (file: string) => new Date(Number(path.basename(file).split('-')[0])).toISOString();
