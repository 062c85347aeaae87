import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { HISTORIES_DIR } from './support/histories';
import { workflowBundle } from './support/stack';

it('replays every recorded case history against the current workflow code', async () => {
  const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
  expect(files.length).toBeGreaterThan(0);
  const histories = await Promise.all(
    files.map(async (f) => ({ workflowId: path.basename(f, '.json'), history: JSON.parse(await readFile(path.join(HISTORIES_DIR, f), 'utf8')) })),
  );
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(r);
  const failures = results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`);
  expect(failures).toEqual([]);
  expect(results).toHaveLength(files.length);
});
