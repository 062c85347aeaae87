import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { testDataConverter } from './support/codec';
import { HISTORIES_DIR } from './support/histories';
import { workflowBundle } from './support/workflow-bundle';

it('replays every recorded case history against the current workflow code', async () => {
  const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
  expect(files.length).toBeGreaterThan(0);
  const histories = await Promise.all(
    files.map(async (f) => ({ workflowId: path.basename(f, '.json'), history: JSON.parse(await readFile(path.join(HISTORIES_DIR, f), 'utf8')) })),
  );
  // Both kinds are in the corpus, so both paths of the codec are replayed.
  const encodings = histories.map(({ history }) => {
    const input = history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    return Buffer.from(input.metadata.encoding, 'base64').toString();
  });
  expect(new Set(encodings)).toEqual(new Set(['json/plain', 'binary/encrypted']));
  const results = [];
  // Histories recorded before the codec hold plain payloads, which it passes through; later ones are encrypted with the test key.
  for await (const r of Worker.runReplayHistories({ workflowBundle: workflowBundle(), dataConverter: testDataConverter }, histories)) results.push(r);
  const failures = results.filter((r) => r.error).map((r) => `${r.workflowId}: ${String(r.error)}`);
  expect(failures).toEqual([]);
  expect(results).toHaveLength(files.length);
});
