import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { caseWorkflowId } from '../../core/case-model';
import type { AesGcmPayloadCodec } from '../../temporal/payload-codec';

export const HISTORIES_DIR = path.join(import.meta.dirname, '..', 'histories');

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/**
 * With RECORD_HISTORIES=1, saves a case's event history for the replay test, unless a
 * history of that name is already recorded: the corpus keeps the histories older workflow
 * code wrote, so every later change to workflow code is replayed against cases that really
 * ran. To re-record one deliberately, delete its file first. `runId` picks one run of a
 * case that continued as new (default: the latest).
 */
export async function recordHistory(client: Client, number: string, name: string, opts: { runId?: string } = {}): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  if (await exists(file)) return;
  const history = await client.workflow.getHandle(caseWorkflowId(number), opts.runId).fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(file, historyToJSON(history), { flag: 'wx' });
}

const isPayload = (v: Record<string, unknown>): boolean =>
  'data' in v && typeof v.metadata === 'object' && v.metadata !== null && Object.values(v.metadata).every((m) => m instanceof Uint8Array);

/**
 * Bytes as UTF-8 text, every payload first opened by `codec` when one is given. Numbers
 * (ids, times, counters) are left out: a six-digit code would be found in a timestamp's
 * nanoseconds.
 */
function readable(value: unknown, codec: AesGcmPayloadCodec | undefined): unknown {
  if (typeof value === 'number') return undefined;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map((v) => readable(v, codec));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const opened = codec && isPayload(object) ? codec.decrypt(object) : object;
  return Object.fromEntries(Object.entries(opened).map(([k, v]) => [k, readable(v, codec)]));
}

/**
 * A case's history as a person reading the server's data would see it: every text and byte
 * field as text. Without `codec` it is what Temporal stores (and its UI shows anyone); with the
 * codec, what an administrator sees through the codec endpoint. A search for a value in
 * it finds the value if it is there in clear; the SDK's own JSON shows bytes in base64,
 * where no search finds anything.
 */
export async function historyText(client: Client, number: string, opts: { codec?: AesGcmPayloadCodec; runId?: string } = {}): Promise<string> {
  const history = await client.workflow.getHandle(caseWorkflowId(number), opts.runId).fetchHistory();
  return JSON.stringify(readable(history, opts.codec));
}
