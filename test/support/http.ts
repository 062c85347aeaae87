/**
 * The HTTP calls of the integration tests, on whichever stack a test file started. The
 * helpers that expect a status assert it with the body as the message: a failure then
 * shows the problem the API answered, not just a number.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { timelineEntry } from '../../api/case-view';
import type { Principal } from '../../core/principal';
import { caseWorkflowId } from '../../core/case-model';
import { readReceived } from '../../notifications/sinks/received';
import type { TestCertificate } from './certificates';
import { alice, rita } from './personas';
import type { Stack } from './stack';

/** `undefined` for the callers who have no account yet or need none (registration, sign-in, extract checks). */
type Who = Principal | undefined;

/** What an action or a filing answers: the case as it stands after it. */
export interface Answer {
  number: string;
  status: string;
  version: number;
  /** An appeal's answer carries the contested case too. */
  contested?: { number: string; status: string; version: number };
}

export type TimelineEntry = ReturnType<typeof timelineEntry>;

export const get = (stack: Stack, who: Who, url: string) => stack.call(who, { method: 'GET', url });

export const post = (stack: Stack, who: Who, url: string, payload?: InjectOptions['payload']) => stack.call(who, { method: 'POST', url, payload });

/** For a token the API issued at sign-in, where a test has no principal to mint one for. */
export const withToken = (stack: Stack, token: string, opts: InjectOptions) =>
  stack.app.inject({ ...opts, headers: { ...opts.headers, authorization: `Bearer ${token}` } });

/**
 * The JSON of a successful answer. Without `status` any 2xx will do, for the calls a test
 * makes on its way to what it is about.
 */
export function ok(res: LightMyRequestResponse, status?: number) {
  if (status === undefined) expect(res.statusCode, res.body).toBeLessThan(300);
  else expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

/** What most tests file: the form is not what they are about, so it is the same everywhere. */
export const FORM = { purpose: 'для работы', copies: 1 };

export async function file(stack: Stack, who: Principal, serviceCode: string, form: Record<string, unknown> = FORM, documents: string[] = []): Promise<Answer> {
  return ok(await post(stack, who, '/cases', { serviceCode, form, documents }), 201);
}

/** The case as `who` sees it; its shape depends on the kind, so tests read what they assert. */
export async function detail(stack: Stack, who: Principal, number: string) {
  return ok(await get(stack, who, `/cases/${number}`), 200);
}

export async function timelineOf(stack: Stack, who: Principal, number: string): Promise<TimelineEntry[]> {
  return ok(await get(stack, who, `/cases/${number}/timeline`), 200).items;
}

/** The raw answer: tests of refusals look at its status. */
export const act = (stack: Stack, who: Principal, number: string, action: string, body: Record<string, unknown> = {}) =>
  post(stack, who, `/cases/${number}/${action}`, body);

/** Acts with the version `who` currently sees, as an official at a desk would; the action must succeed. */
export async function officially(stack: Stack, who: Principal, number: string, action: string, body: Record<string, unknown> = {}): Promise<Answer> {
  const { version } = await detail(stack, who, number);
  return ok(await act(stack, who, number, action, { version, ...body }), 200);
}

/** An application of alice's that rita rejected (test services belong to her agency): where appeals and re-sends start. */
export async function rejectedCase(stack: Stack, serviceCode: string, decision = { reasonCode: 'not_eligible', comment: 'не положено' }, documents: string[] = []): Promise<string> {
  const { number } = await file(stack, alice, serviceCode, FORM, documents);
  await officially(stack, rita, number, 'claim');
  await officially(stack, rita, number, 'decide', { outcome: 'reject', ...decision });
  return number;
}

/**
 * What reaches a case by signal (a payment, an appeal's outcome, a timer) shows some time
 * after the answer: polls the detail until it has `until` (a status, or a check).
 */
export async function eventually(stack: Stack, who: Principal, number: string, until: string | ((d: Record<string, unknown>) => boolean)) {
  const ready = typeof until === 'string' ? (d: Record<string, unknown>) => d.status === until : until;
  await expect.poll(async () => ready(await detail(stack, who, number)), { timeout: 10_000, interval: 50 }).toBe(true);
  return detail(stack, who, number);
}

const codeIn = (text: string | undefined, recipient: string) => {
  const code = CODE_TEXT.exec(String(text))?.[1];
  if (!code) throw new Error(`no code sent to ${recipient}`);
  return code;
};

/** How a code reads in its message; case numbers in notices have six digits in a row too. */
const CODE_TEXT = /Код подтверждения: (\d{6})/;

/** The one-time code as the citizen would find it: in the last SMS or e-mail with a code the stack's sinks received for `recipient`. */
export async function lastCode(stack: Stack, recipient: string): Promise<string> {
  const messages = await readReceived(stack.config.notifications.sinks.dir, { to: recipient });
  return codeIn(messages.filter((m) => CODE_TEXT.test(m.text)).at(-1)?.text, recipient);
}

/** A letter's code as the post would carry it: letters are printed from the outbox, not sent electronically. */
export async function lastLetterCode(stack: Stack, address: string): Promise<string> {
  const [row] = await stack.database.sql`select body from outbox where recipient = ${address} and channel = 'letter' order by id desc limit 1`;
  return codeIn(row?.body, address);
}

export type Change = { kind: string; payload: Record<string, unknown>; documents?: string[] };

export async function passportVersion(stack: Stack, who: Principal, vin: string): Promise<number> {
  return ok(await get(stack, who, `/vehicles/${vin}`)).currentVersion;
}

/** The signing form as the API gives it, signed by `cert`: what the owner's signing tool would produce. */
export async function signChange(stack: Stack, who: Principal, vin: string, change: Change, basedOnVersion: number, cert: TestCertificate): Promise<string> {
  const form = ok(await post(stack, who, `/vehicles/${vin}/signing-form`, { ...change, basedOnVersion }));
  return (await cert.sign(Buffer.from(form.base64, 'base64'))).toString('base64');
}

/** A signed change request on the current passport version, as the owner's client sends it; the raw answer. */
export async function requestChange(stack: Stack, who: Principal, vin: string, change: Change, cert: TestCertificate) {
  const basedOnVersion = await passportVersion(stack, who, vin);
  const signature = await signChange(stack, who, vin, change, basedOnVersion, cert);
  return post(stack, who, `/vehicles/${vin}/changes`, { ...change, basedOnVersion, signature });
}

/** Waits until every message queued for the case is sent or given up and no delivery is pending: nothing arrives after. */
export async function deliveriesSettled(stack: Stack, number: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const [row] = await stack.database.sql`
          select count(*)::int as n from outbox where case_number = ${number} and channel <> 'letter' and sent_at is null and failed_at is null`;
        const { raw } = await stack.client.workflow.getHandle(caseWorkflowId(number)).describe();
        return row!.n === 0 && (raw.pendingActivities ?? []).length === 0;
      },
      { timeout: 30_000, interval: 100 },
    )
    .toBe(true);
}
