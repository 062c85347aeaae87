/**
 * What an administrator reads on a case's "Stack Trace" tab in the Temporal Web UI: the
 * `__stack_trace` query, and `__enhanced_stack_trace` for locations. The worker's SDK is
 * patched (patches/@temporalio+worker+*.patch) to take each workflow promise's call sites
 * as it is made and convert them through the bundle's source map only when asked; these are
 * the answers that conversion must still give: where a waiting case waits, in our sources.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import { alice, rita } from '../support/personas';
import { file, officially } from '../support/http';
import { startStack, testService, type Stack } from '../support/stack';

interface EnhancedStackTrace {
  stacks: Array<{ locations: Array<{ file_path?: string; function_name?: string; line?: number; column?: number }> }>;
}

const service = testService({ agency: 'mvd' });
let stack: Stack;
let workflowId: string;

beforeAll(async () => {
  stack = await startStack();
  await stack.addService(service);
  const { number } = await file(stack, alice, service.code);
  await officially(stack, rita, number, 'claim');
  workflowId = caseWorkflowId(number);
});
afterAll(async () => stack?.close());

describe('the stack trace of a waiting case', () => {
  it('names the case loops it waits in, at lines of our sources', async () => {
    const trace = await stack.client.workflow.getHandle(workflowId).query<string>('__stack_trace');
    // The deadline loop waits on its timer, the projector and the deliveries on their conditions.
    expect(trace).toMatch(/at runDeadlines \(\S*workflows\/machinery\/timers\.ts:\d+:\d+\)/);
    expect(trace).toMatch(/at \S*runProjector \(\S*workflows\/machinery\/case-journal\.ts:\d+:\d+\)/);
    expect(trace).toMatch(/at \S*runDeliveries \(\S*workflows\/machinery\/case-journal\.ts:\d+:\d+\)/);
    // Not the bundle's positions, nor the promise hook's own frames.
    expect(trace).not.toMatch(/workflow-bundle|promise_hooks|vm-shared/);
  });

  it('gives the same places as structured locations', async () => {
    const enhanced = await stack.client.workflow.getHandle(workflowId).query<EnhancedStackTrace>('__enhanced_stack_trace');
    const locations = enhanced.stacks.flatMap((s) => s.locations);
    const deadlines = locations.find((l) => l.function_name === 'runDeadlines');
    expect(deadlines?.file_path).toMatch(/workflows\/machinery\/timers\.ts$/);
    expect(deadlines?.line).toBeGreaterThan(0);
    expect(locations.some((l) => l.function_name?.endsWith('runProjector') && l.file_path?.endsWith('workflows/machinery/case-journal.ts'))).toBe(true);
    expect(locations.some((l) => l.file_path?.includes('promise_hooks'))).toBe(false);
  });
});
