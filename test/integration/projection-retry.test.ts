import { Context } from '@temporalio/activity';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ProjectionBatch } from '../../core/case-projection';
import type { Principal } from '../../core/principal';
import { bareApplication, journalEntriesOf } from '../support/db';
import { file, get, post } from '../support/http';
import { alice } from '../support/personas';
import { startStack, testService, type Stack } from '../support/stack';

const service = testService();
let stack: Stack;
let failedAfterWrite = 0;
const admin: Principal = { id: 'root', role: 'admin' };

beforeAll(async () => {
  // The first attempt of every projection commits its write and then "crashes", as a
  // worker dying between the database commit and the activity completion would.
  stack = await startStack({
    wrapActivities: (real) => ({
      ...real,
      async projectCase(batch) {
        const receipt = await real.projectCase(batch);
        if (Context.current().info.attempt === 1) {
          failedAfterWrite++;
          throw new Error('simulated crash after commit');
        }
        return receipt;
      },
    }),
  });
  await stack.addService(service);
});
afterAll(async () => stack?.close());

it('a retried projection neither duplicates journal entries nor moves the case backwards', async () => {
  const { number } = await file(stack, alice, service.code, { purpose: 'проверка', copies: 1 });
  expect((await post(stack, alice, `/cases/${number}/cancel`)).statusCode).toBe(200);
  expect((await post(stack, alice, `/cases/${number}/restore`)).statusCode).toBe(200);
  expect(failedAfterWrite).toBeGreaterThanOrEqual(3);

  const rows = await stack.database.sql`select seq, type from journal where case_number = ${number} order by seq`;
  const seqs = rows.map((r) => r.seq as number);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  expect(rows.filter((r) => r.type === 'cancelled')).toHaveLength(1);
  expect(rows.filter((r) => r.type === 'restored')).toHaveLength(1);
  const inbox = await stack.database.sql`select seq, count(*)::int as n from notifications where case_number = ${number} group by seq, recipient having count(*) > 1`;
  expect(inbox).toHaveLength(0);

  const [row] = await stack.database.sql`select status, version from cases where number = ${number}`;
  expect(row).toMatchObject({ status: 'submitted', version: 3 });
  // Replaying an older batch (a late retry) must not move the row back.
  const { writeProjection } = await import('../../db/queries/projection');
  const [current] = await stack.database.sql`select * from cases where number = ${number}`;
  await writeProjection(stack.database.db, {
    projection: bareApplication({
      number,
      version: 1,
      status: 'submitted',
      serviceCode: service.code,
      agency: service.agency,
      applicantId: alice.id,
      submittedAt: new Date(current!.submitted_at as Date).toISOString(),
      updatedAt: new Date().toISOString(),
    }),
    entries: [],
  }, stack.config.inbox.supervisors);
  const [after] = await stack.database.sql`select version, detail from cases where number = ${number}`;
  expect(after!.version).toBe(3);
  expect(after!.detail).not.toEqual({});
});

it('a retried projection keeps the journal hash chain as it was written', async () => {
  // Every batch of this case too was written once by an attempt that then failed, and again by its retry.
  const { number } = await file(stack, alice, service.code, { purpose: 'цепочка', copies: 1 });
  expect((await post(stack, alice, `/cases/${number}/cancel`)).statusCode).toBe(200);
  const verified = await get(stack, admin, `/admin/cases/${number}/journal/verification`);
  expect(verified.json()).toMatchObject({ intact: true, firstMismatch: null });

  // The whole journal projected once more, as a late retry of every batch would.
  const { writeProjection } = await import('../../db/queries/projection');
  const { getCase, getTimeline } = await import('../../db/queries/cases');
  const written = await getTimeline(stack.database.db, number);
  await writeProjection(stack.database.db, {
    projection: (await getCase(stack.database.db, number)) as ProjectionBatch['projection'],
    entries: journalEntriesOf(written),
  }, stack.config.inbox.supervisors);
  expect(await getTimeline(stack.database.db, number)).toEqual(written);
  expect((await get(stack, admin, `/admin/cases/${number}/journal/verification`)).json()).toEqual(verified.json());
});

it('a replayed action with a later time, batched with what came next, chains onto the entry as it was first written', async () => {
  // A worker died after its projection committed and before its workflow task completed:
  // another worker replays the action later, and its batch also holds the next entry.
  const { number } = await file(stack, alice, service.code, { purpose: 'повтор', copies: 1 });
  expect((await post(stack, alice, `/cases/${number}/cancel`)).statusCode).toBe(200);
  const { writeProjection } = await import('../../db/queries/projection');
  const { getCase, getTimeline } = await import('../../db/queries/cases');
  const written = journalEntriesOf(await getTimeline(stack.database.db, number));
  const last = written.at(-1)!;
  const replayed = { ...last, at: new Date(Date.parse(last.at) + 1500).toISOString() };
  const next = { ...last, seq: last.seq + 1, at: replayed.at, type: 'restored', summary: 'Application restored', data: {} };
  const projection = (await getCase(stack.database.db, number)) as ProjectionBatch['projection'];
  await writeProjection(stack.database.db, { projection: { ...projection, version: projection.version + 1 }, entries: [replayed, next] }, stack.config.inbox.supervisors);

  const timeline = await getTimeline(stack.database.db, number);
  expect(timeline.map((e) => e.seq)).toEqual([...written.map((e) => e.seq), next.seq]);
  // What was written first stays as it was.
  expect(timeline.find((e) => e.seq === last.seq)!.at).toBe(last.at);
  expect((await get(stack, admin, `/admin/cases/${number}/journal/verification`)).json()).toMatchObject({ intact: true, firstMismatch: null, entries: next.seq });
});

it('a first version written alongside a workflow start that fails is rolled back: nothing of the case is left', async () => {
  // The API writes a filing's first version while the workflow starts, and commits only once the start is stored.
  const { number } = await file(stack, alice, service.code, { purpose: 'откат', copies: 1 });
  const { writeProjection } = await import('../../db/queries/projection');
  const { getCase, getTimeline } = await import('../../db/queries/cases');
  const fresh = `${number}-R`;
  const projection = { ...((await getCase(stack.database.db, number)) as ProjectionBatch['projection']), number: fresh, version: 1 };
  const [firstEntry, ...rest] = journalEntriesOf(await getTimeline(stack.database.db, number));
  // With a notice, so that the inbox and the mail queue have rows to leave behind too.
  const entries = [{ ...firstEntry!, notify: [{ recipient: alice.id, type: 'deadline_approaching' as const, title: `${fresh}: осталось дней: 1` }] }, ...rest];
  const start = () => new Promise<void>((_, reject) => setTimeout(() => reject(new Error('the start was refused')), 50));
  await expect(writeProjection(stack.database.db, { projection, entries }, stack.config.inbox.supervisors, start)).rejects.toThrow('the start was refused');

  const left = await stack.database.sql`
    select (select count(*) from cases where number = ${fresh})::int as cases,
           (select count(*) from journal where case_number = ${fresh})::int as journal,
           (select count(*) from notifications where case_number = ${fresh})::int as inbox`;
  expect(left[0]).toEqual({ cases: 0, journal: 0, inbox: 0 });
  // The same write with a start that succeeds commits all of it.
  await writeProjection(stack.database.db, { projection, entries }, stack.config.inbox.supervisors, async () => {});
  expect((await getTimeline(stack.database.db, fresh)).map((e) => e.seq)).toEqual(entries.map((e) => e.seq));
  const [inbox] = await stack.database.sql`select count(*)::int as n from notifications where case_number = ${fresh}`;
  expect(inbox!.n).toBe(1);
});

it('tells a batch the read model holds already (a filing the API wrote ahead) from one it does not', async () => {
  const { number } = await file(stack, alice, service.code, { purpose: 'уже записано', copies: 1 });
  const { heldBatch } = await import('../../db/queries/projection');
  const { getCase, getTimeline } = await import('../../db/queries/cases');
  const projection = (await getCase(stack.database.db, number)) as ProjectionBatch['projection'];
  const entries = journalEntriesOf(await getTimeline(stack.database.db, number));
  const db = stack.database.db;
  // Held, with its receipt: these entries carry no notices, so no messages are named.
  expect(await heldBatch({ projection, entries }, db)).toEqual({ queuedNotices: [] });
  expect(await heldBatch({ projection, entries: [] }, db)).toEqual({ queuedNotices: [] });
  expect(await heldBatch({ projection: { ...projection, version: projection.version + 1 }, entries }, db)).toBeNull();
  const next = { ...entries.at(-1)!, seq: entries.at(-1)!.seq + 1 };
  expect(await heldBatch({ projection, entries: [...entries, next] }, db)).toBeNull();
  expect(await heldBatch({ projection: { ...projection, number: `${number}-X` }, entries }, db)).toBeNull();
});
