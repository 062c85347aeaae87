import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { caseWorkflowId } from '../../core/case-model';

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
