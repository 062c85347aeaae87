/**
 * A hand-off from the previous workflow code to the current one, as a release does it:
 * cases are started and advanced by a worker running the previous code, built here from
 * git, then a worker on the current code takes them over with its workflow cache off, so
 * that each of its tasks replays the case's whole history, the previous code's part
 * included, on the current code. Every case must reach its right end without a failed
 * workflow task.
 *
 * The previous code: with workflows/ or core/ changed in the working tree, HEAD's (the
 * change under way is what hands over); else the code before the last commit that changed
 * them on the first-parent line (a merge: main before it). HANDOFF_FROM=<rev> names another.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseWorkflowId } from '../../core/case-model';
import { seedDemoVehicles } from '../../db/seed';
import { createTestCa, issueTestCertificate, type TestCertificate } from '../support/certificates';
import { SOLARIS } from '../support/fixtures';
import { act, eventually, file, get, lastCode, ok, officially, post, requestChange, timelineOf } from '../support/http';
import { alice, bob, igor, rita } from '../support/personas';
import { quietRun } from '../support/run-history';
import { startStack, testService, type Stack } from '../support/stack';
import { bundleWorkflows } from '../../temporal/workflow-bundle';

const ROOT = path.join(import.meta.dirname, '..', '..');
/** What workflow bundles are built from: the workflows and the pure rules they import. */
const WORKFLOW_CODE = ['workflows', 'core'];

const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

function previousRevision(): string {
  const named = process.env.HANDOFF_FROM;
  if (named) return git('rev-parse', '--verify', `${named}^{commit}`);
  if (git('status', '--porcelain', '--', ...WORKFLOW_CODE)) return git('rev-parse', 'HEAD');
  const lastChange = git('log', '-1', '--first-parent', '--format=%H', '--', ...WORKFLOW_CODE);
  return git('rev-parse', '--verify', `${lastChange}^1`);
}

/** The workflow code of `rev` written out next to this checkout's packages, and bundled. */
async function bundleAt(rev: string, dir: string): Promise<WorkflowBundle> {
  for (const file of git('ls-tree', '-r', '--name-only', rev, '--', ...WORKFLOW_CODE).split('\n')) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), execFileSync('git', ['show', `${rev}:${file}`], { cwd: ROOT }));
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return bundleWorkflows(path.join(dir, 'workflows', 'index.ts'));
}

const free = testService();
let stack: Stack;
let scratch: string;
let previous: string;
let aliceCert: TestCertificate;
let bobCert: TestCertificate;

beforeAll(async () => {
  previous = previousRevision();
  scratch = await mkdtemp(path.join(tmpdir(), 'hand-off-'));
  const ca = await createTestCa();
  aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344596' });
  bobCert = await issueTestCertificate(ca, { name: 'Борис', snils: '11223344597' });
  stack = await startStack({ trust: { caPem: ca.pem }, worker: { workflowBundle: await bundleAt(previous, scratch) } });
  await stack.addService(free);
  await seedDemoVehicles(stack.database.db);
  for (const [who, cert] of [[alice, aliceCert], [bob, bobCert]] as const) ok(await post(stack, who, '/certificates', { certificatePem: cert.pem }));
});
afterAll(async () => {
  await stack?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('hand-off from the previous workflow code to the current one', () => {
  it('cases begun on the previous code reach their end on the current code, every task replaying their history', async () => {
    // On the previous code: an application asked for more, a registration waiting for its
    // code, a sale waiting for its buyer.
    const { number: application } = await file(stack, alice, free.code);
    await officially(stack, rita, application, 'claim');
    await officially(stack, rita, application, 'request-info', { message: 'Приложите справку', dueDays: 10 });
    const phone = '+79125559001';
    const registration = ok(await post(stack, undefined, '/identity/registrations', { name: 'Пётр Переходов', phone, password: 'Secret123' }), 201);
    const change = { kind: 'sale', payload: { buyerId: bob.id, contractDate: '2026-11-20' } };
    const filed = await requestChange(stack, alice, SOLARIS, change, aliceCert);
    expect(filed.statusCode, filed.body).toBe(201);
    const sale = filed.json().number as string;
    const cases = [application, registration.number as string, sale];
    // The previous worker leaves nothing half done: its deliveries are over.
    for (const number of cases) await quietRun(stack.client, number);
    const previousBuild = stack.worker!.options.buildId;

    await stack.replaceWorker({ maxCachedWorkflows: 0 });
    const currentBuild = stack.worker!.options.buildId;
    expect(currentBuild, `${previous} bundles as the current code does: name another with HANDOFF_FROM`).not.toBe(previousBuild);

    // On the current code.
    ok(await act(stack, alice, application, 'answer', { comment: 'Справка приложена', documents: [] }), 200);
    await officially(stack, rita, application, 'decide', { outcome: 'approve', comment: 'Одобрено' });
    const completed = await eventually(stack, alice, application, 'completed');
    expect(completed.result.verificationCode).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const types = (await timelineOf(stack, alice, application)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['submitted', 'claimed', 'information_requested', 'information_provided', 'approved', 'result_issued']));

    const entered = ok(await post(stack, undefined, `/identity/registrations/${registration.number}/code`, { accountId: registration.accountId, code: await lastCode(stack, phone) }), 200);
    expect(entered).toMatchObject({ status: 'confirmed', accepted: true });

    const form = ok(await post(stack, alice, `/vehicles/${SOLARIS}/signing-form`, { ...change, basedOnVersion: 1 }));
    const signature = (await bobCert.sign(Buffer.from(form.base64, 'base64'))).toString('base64');
    expect(ok(await post(stack, bob, `/cases/${sale}/confirm-sale`, { signature }), 200).status).toBe('submitted');
    await officially(stack, igor, sale, 'claim');
    await officially(stack, igor, sale, 'decide', { outcome: 'approve', comment: 'Проверено' });
    expect((await eventually(stack, alice, sale, 'completed')).result).toMatchObject({ version: 2 });
    expect(ok(await get(stack, bob, `/vehicles/${SOLARIS}`)).passport.owners.at(-1)).toMatchObject({ ownerId: bob.id, caseNumber: sale });

    // Each case ran on the previous code, then on the current one, and no task failed (a
    // change that does not replay fails its tasks and holds the case). A task may time out:
    // with no cache the SDK can drop a projection's local activity in flight (it logs "an
    // SDK bug"); the task is tried again and the projection, idempotent, written again.
    let replayed = 0;
    let timedOut = 0;
    for (const number of cases) {
      await quietRun(stack.client, number);
      const events = (await stack.client.workflow.getHandle(caseWorkflowId(number)).fetchHistory()).events ?? [];
      expect(events.filter((e) => e.workflowTaskFailedEventAttributes), number).toEqual([]);
      const builds = events.flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.workerVersion?.buildId] : []));
      const switchedAt = builds.indexOf(currentBuild);
      expect(switchedAt, number).toBeGreaterThan(0);
      expect(new Set(builds.slice(0, switchedAt)), number).toEqual(new Set([previousBuild]));
      expect(new Set(builds.slice(switchedAt)), number).toEqual(new Set([currentBuild]));
      replayed += builds.length - switchedAt;
      timedOut += events.filter((e) => e.workflowTaskTimedOutEventAttributes).length;
      const seqs = (await timelineOf(stack, number === registration.number ? { id: registration.accountId, role: 'citizen', level: 'simplified' } : alice, number)).map((e) => e.seq);
      expect(seqs, number).toEqual(seqs.map((_, i) => i + 1));
    }
    console.info(`hand-off: ${cases.length} cases from ${previous.slice(0, 9)} to the current code; workflow tasks on the current code, each replaying the whole history: ${replayed}; timed out and tried again: ${timedOut}`);
  });
});
