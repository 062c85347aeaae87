/**
 * The admin search's filters and the Temporal UI's (the same queries as `temporal workflow
 * list --query`, README "The Temporal UI") find the same cases: cases of two test services
 * of their own, filed and worked over the API, then listed through Temporal's visibility
 * store and through `GET /admin/cases`. Every query is scoped to the two services, because
 * the dev server is shared with the other test files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { alice, bob, fedor, rita } from '../support/personas';
import { file, get, officially, ok, post, rejectedCase } from '../support/http';
import { startStack, testService, type Stack } from '../support/stack';

const admin: Principal = { id: 'root', role: 'admin' };
const mvd = testService({ agency: 'mvd' });
const fns = testService({ agency: 'fns' });
const scope = `CaseService IN ("${mvd.code}", "${fns.code}")`;

let stack: Stack;
const n: Record<'waiting' | 'claimed' | 'rejected' | 'appeal' | 'elsewhere' | 'bobs', string> = {} as never;

beforeAll(async () => {
  stack = await startStack();
  await stack.addService(mvd);
  await stack.addService(fns);
  n.waiting = (await file(stack, alice, mvd.code)).number;
  n.claimed = (await file(stack, alice, mvd.code)).number;
  await officially(stack, rita, n.claimed, 'claim');
  n.rejected = await rejectedCase(stack, mvd.code);
  n.appeal = ok(await post(stack, alice, `/cases/${n.rejected}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201).number;
  n.elsewhere = (await file(stack, alice, fns.code)).number;
  n.bobs = (await file(stack, bob, fns.code)).number;
  await officially(stack, fedor, n.bobs, 'claim');
});
afterAll(async () => stack?.close());

/** What Temporal's visibility lists for `query` within the test's services: case numbers, sorted. */
async function listed(query: string): Promise<string[]> {
  const numbers: string[] = [];
  for await (const wf of stack.client.workflow.list({ query: `${scope} AND ${query}` })) numbers.push(wf.workflowId.replace(/^case-/, ''));
  return numbers.sort();
}

/** What the admin search finds for `filter` within the test's services. */
async function searched(filter: string): Promise<string[]> {
  const pages = await Promise.all(
    [mvd.code, fns.code].map(async (service) => ok(await get(stack, admin, `/admin/cases?service=${service}&${filter}&limit=100`), 200) as { items: Array<{ number: string }> }),
  );
  return pages.flatMap((p) => p.items.map((i) => i.number)).sort();
}

describe('search attributes and the admin search', () => {
  it.each([
    ['kind=application', 'CaseKind = "application"', ['waiting', 'claimed', 'rejected', 'elsewhere', 'bobs']],
    ['kind=appeal', 'CaseKind = "appeal"', ['appeal']],
    ['status=in_review', 'CaseStatus = "in_review"', ['claimed', 'bobs']],
    ['status=rejected', 'CaseStatus = "rejected"', ['rejected']],
    ['applicant=bob', 'CaseApplicant = "bob"', ['bobs']],
    ['assignee=rita&kind=application', 'CaseAssignee = "rita" AND CaseKind = "application"', ['claimed', 'rejected']],
    ['assignee=unassigned', 'CaseAssignee IS NULL', ['waiting', 'elsewhere', 'appeal']],
    // An appeal's desk is the appeal experts': the search shows no agency for it, while its
    // CaseAgency is the contested service's agency. Applications agree.
    ['agency=fns&kind=application', 'CaseAgency = "fns" AND CaseKind = "application"', ['elsewhere', 'bobs']],
    ['overdue=false&kind=application', 'CaseOverdue = false AND CaseKind = "application"', ['waiting', 'claimed', 'rejected', 'elsewhere', 'bobs']],
  ] as const)('%s finds what %s lists', async (filter, query, expected) => {
    const want = expected.map((k) => n[k]).sort();
    expect(await searched(filter)).toEqual(want);
    // Visibility follows a workflow's changes shortly after they happen.
    await expect.poll(() => listed(query), { timeout: 15_000, interval: 200 }).toEqual(want);
  });

  it('lists the appeals against a case by CaseContested', async () => {
    await expect.poll(() => listed(`CaseContested = "${n.rejected}"`), { timeout: 15_000, interval: 200 }).toEqual([n.appeal]);
  });
});
