/**
 * A long-running worker gets its workflows bundled by a child process
 * (temporal/workflow-bundle.ts): the same code a bundle made in the process gives, with the
 * source map the Web UI's stack traces are read through, and nothing left behind.
 */
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowsApart } from '../temporal/workflow-bundle';

const leftovers = async () => (await readdir(tmpdir())).filter((f) => f.startsWith('cases-workflows-'));

describe('workflows bundled apart', () => {
  it('gives the workflows with their source map, and removes its scratch file', async () => {
    const before = await leftovers();
    const { code } = await bundleWorkflowsApart();
    expect(code).toMatch(/\/\/# sourceMappingURL=data:application\/json;[^\n]*base64,/);
    for (const workflow of ['applicationWorkflow', 'appealWorkflow', 'eptsChangeWorkflow']) expect(code).toContain(workflow);
    expect(await leftovers()).toEqual(before);
  }, 60_000);
});
