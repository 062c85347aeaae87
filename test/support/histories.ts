import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { caseWorkflowId } from '../../core/case-model';

export const HISTORIES_DIR = path.join(import.meta.dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a case's event history for the replay test. Recorded
 * histories are committed, so every later change to workflow code is replayed against
 * cases that really ran.
 */
export async function recordHistory(client: Client, number: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await client.workflow.getHandle(caseWorkflowId(number)).fetchHistory();
  await mkdir(HISTORIES_DIR, { recursive: true });
  await writeFile(path.join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
}
