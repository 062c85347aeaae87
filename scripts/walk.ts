/**
 * Walks the case kinds through their lives over HTTP against a running API (`npm start`
 * in another terminal, same DATA_DIR): a registration confirmed with the code read from
 * the local SMS sink; the registered citizen's e-mail changed with the code read from the
 * local SMTP sink (the old address told), and their status-change mail read from there at
 * the new address; an application (file → claim → request info →
 * answer → approve → completed), an appeal against a rejection (upheld → a different
 * reviewer approves) and a signed passport change of a demo vehicle (signed with the
 * development authority → approved → new version, extract checked), where the
 * catalogue has a paid service, a fee paid on the development payment provider's page
 * (receipt on the case) and refunded in part on an upheld wrong-fee appeal, and then
 * reads the citizen's inbox (unread first, one marked read, the rest at once). Each
 * result PDF is downloaded to DATA_DIR/walk with its signature, checked offline against
 * the published key and against the public register (by its bytes and its code). Prints
 * every step; exits non-zero at the first unexpected answer.
 *
 *   npm run walk [-- --api URL] [--service CODE]
 *
 * The API is `--api`, else API_URL, else the HOST and PORT that `npm start` listens on.
 */
import { createPublicKey, verify } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mintToken } from '../accounts/tokens';
import { ConfigError, loadConfig, type Config } from '../config';
import { readReceived } from '../notifications/sinks/received';
import { developmentGostHolder, developmentHolder } from '../signatures/dev-authority';
import { gostEngineAvailable } from '../signatures/openssl';
import { cmsSign, type KeyHolder } from '../signatures/openssl-authority';

function fail(message: string): never {
  process.stderr.write(`✗ ${message}\n`);
  process.exit(1);
}

function configuration(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

const { values } = parseArgs({ options: { api: { type: 'string' }, service: { type: 'string' } } });
const config = configuration();
const api = values.api?.replace(/\/$/, '') ?? config.http.apiUrl;

/** The fields of API answers the walk reads. */
interface Answer {
  number: string;
  status: string;
  version: number;
  id: string;
  base64: string;
  currentVersion: number;
  passport: { plate: string | null };
  underAppeal?: string | null;
  legalDueDate?: string;
  expectedDueDate?: string;
  infoRequest?: { dueAt: string };
  deadline?: { paused: boolean };
  result?: { verificationCode: string; version?: number; extractCode?: string; verify?: string; appointment?: { office: string; date: string; time: string } | null };
  links?: { result?: string; resultSignature?: string };
  registered?: boolean;
  standing?: string;
  items: { id: number; type: string; title: string; readAt: string | null }[];
  unread: number;
  marked: number;
  readAt: string | null;
  fee: {
    invoice: { amount: number; paymentId: string; paymentUrl: string | null } | null;
    receipts: { amount: number; transactionId: string; paidAt: string }[];
    refunds: { amount: number; reason: string; status: string }[];
  };
  transactionId: string;
  callbackStatus: number;
  accountId: string;
  token: string;
  level: string;
}

async function call(token: string | undefined, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).catch((err: unknown) => {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    fail(
      `no API answers at ${api} (${cause?.code ?? cause?.message ?? String(err)}): start it with \`npm start\` in another terminal, ` +
        'or point the walk at a running one with PORT/HOST, API_URL or --api',
    );
  });
  const json = (await res.json().catch(() => ({}))) as Answer;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function bytes(token: string | undefined, path: string): Promise<Buffer> {
  const res = await fetch(`${api}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Downloads a case's result PDF and signature as its holder, and checks both as a stranger would. */
async function checkResult(token: string, d: Answer) {
  if (!d.links?.result || !d.links.resultSignature) throw new Error(`${d.number} shows no result document`);
  const pdf = await bytes(token, d.links.result);
  const signature = await bytes(token, d.links.resultSignature);
  const dir = path.join(config.dataDir, 'walk');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${d.number}.pdf`), pdf);
  await writeFile(path.join(dir, `${d.number}.sig`), signature);
  step('result PDF downloaded', `${path.join(dir, `${d.number}.pdf`)} (${pdf.length} bytes) and .sig`);
  const key = createPublicKey((await bytes(undefined, '/results/signing-key')).toString());
  // The development key is ECDSA P-256 (SHA-256); a configured Ed25519 key signs the bytes themselves.
  const signed = verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', pdf, key, signature);
  if (!signed) throw new Error(`the signature of ${d.number}'s PDF does not verify with the published key`);
  step('signature verified (offline)', 'with GET /results/signing-key');
  const res = await fetch(`${api}/results/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(pdf) });
  const byBytes = (await res.json()) as Answer;
  if (!byBytes.registered) throw new Error(`the register does not know ${d.number}'s PDF`);
  const altered = Buffer.from(pdf);
  altered.writeUInt8(altered.readUInt8(100) ^ 1, 100);
  const forged = await fetch(`${api}/results/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(altered) });
  const code = d.result?.extractCode ?? d.result!.verificationCode;
  const byCode = await call(undefined, 'GET', `/results/${code}/verify`);
  step('verified (public)', { byBytes: byBytes.standing, alteredCopyRegistered: ((await forged.json()) as Answer).registered, byCode: byCode.standing, code });
}

function step(what: string, detail: unknown) {
  process.stdout.write(`✓ ${what.padEnd(28)} ${typeof detail === 'string' ? detail : JSON.stringify(detail)}\n`);
}

interface Service {
  code: string;
  name: string;
  agency: string;
  requiredDocuments: string[];
  minLevel: string;
  fee: { base: number; byField?: unknown };
  formSchema: { examples?: Record<string, unknown>[] };
}

/** Polls the citizen's view until the case reaches `status` or passes a check (effects of signals and activities land a moment later). */
async function until(token: string, number: string, status: string | ((d: Answer) => boolean)): Promise<Answer> {
  const reached = typeof status === 'string' ? (d: Answer) => d.status === status : status;
  for (let i = 0; i < 50; i++) {
    const d = await call(token, 'GET', `/cases/${number}`);
    if (reached(d)) return d;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${number} did not become ${typeof status === 'string' ? status : 'what the walk waits for'}`);
}

/** A scan of each document type, uploaded as the citizen's browser would (multipart). */
async function uploadScans(token: string, types: string[]): Promise<string[]> {
  const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(1500, 0x20), Buffer.from('\n%%EOF\n')]);
  const ids: string[] = [];
  for (const type of types) {
    const body = new FormData();
    body.append('type', type);
    body.append('file', new Blob([pdf], { type: 'application/pdf' }), `${type}.pdf`);
    const res = await fetch(`${api}/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
    const json = (await res.json()) as { id: string };
    if (!res.ok) throw new Error(`POST /documents → ${res.status}: ${JSON.stringify(json)}`);
    ids.push(json.id);
  }
  return ids;
}

/** The code as the citizen reads it on their phone or in their mail: the last message the local sinks received for `address`. */
async function sentCode(address: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const [message] = await readReceived(config.notifications.sinks.dir, { to: address, last: 1 });
    const code = /Код подтверждения: (\d{6})/.exec(message?.text ?? '')?.[1];
    if (code) return code;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no code to ${address} in ${config.notifications.sinks.dir}: is npm start running with the same DATA_DIR?`);
}

/** A citizen registered by phone: their token and the e-mail address they add afterwards. */
interface Registered {
  token: string;
  email: string;
}

async function walkRegistration(): Promise<Registered | undefined> {
  if (config.notifications.sms.url) {
    step('registration skipped', `SMS go to ${config.notifications.sms.url} (SMS_GATEWAY_URL), not to a local sink this walk can read`);
    return undefined;
  }
  const phone = `+7912${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
  const email = `walk-${phone.slice(-7)}@example.ru`;
  const password = 'Walk-Secret-1';
  const started = await call(undefined, 'POST', '/identity/registrations', { name: 'Пётр Прогулкин', phone, password });
  step('registration started', `${started.number} → ${started.status}`);
  const code = await sentCode(phone);
  step('code read from the SMS sink', `${phone} (npm run -s messages -- --to ${phone})`);
  const confirmed = await call(undefined, 'POST', `/identity/registrations/${started.number}/code`, { accountId: started.accountId, code });
  step('code confirmed', confirmed.status);
  const login = await call(undefined, 'POST', '/auth/login', { login: phone, password });
  step('signed in', { level: login.level });
  return { token: login.token, email };
}

/** The mail with `subject` to `email`, read from the local SMTP sink. */
async function mailTo(email: string, subject: string) {
  for (let i = 0; i < 50; i++) {
    const mail = (await readReceived(config.notifications.sinks.dir, { to: email, channel: 'email' })).find((m) => m.subject === subject);
    if (mail) return mail;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail «${subject}» to ${email} in ${config.notifications.sinks.dir}: is npm start running with the same DATA_DIR?`);
}

/**
 * The registered citizen adds an e-mail with the code mailed to it (a registration binds
 * only the contact its code went to), files, and the reviewer's claim changes the status: the mail saying so
 * arrives at the new address.
 */
async function walkMessages(citizen: Registered, reviewerOf: (agency: string) => Promise<string>, services: Service[]) {
  if (config.notifications.mail.host) {
    step('messages skipped', `mail goes to ${config.notifications.mail.host} (SMTP_HOST), not to a local sink this walk can read`);
    return;
  }
  const service = services.find((s) => s.minLevel === 'simplified' && s.fee.base === 0 && !s.fee.byField && !s.requiredDocuments.length && s.formSchema.examples?.length);
  if (!service) throw new Error('no free service of level simplified without required documents in the catalogue');
  const { email } = citizen;
  const change = await call(citizen.token, 'POST', '/me/contacts', { email });
  step('e-mail added', `${change.number} → ${change.status}`);
  const changed = await call(citizen.token, 'POST', `/me/contacts/${change.number}/code`, { code: await sentCode(email) });
  step('code read from the mail sink', `${email} → ${changed.status}`);
  const preferences = (await call(citizen.token, 'GET', '/me/notification-preferences')) as unknown as { channels: Record<string, string[]> };
  step('notification channels', { status_changed: preferences.channels.status_changed, documents_requested: preferences.channels.documents_requested });
  const filed = await call(citizen.token, 'POST', '/cases', { serviceCode: service.code, form: service.formSchema.examples![0], documents: [] });
  step('filed', `${filed.number} (${service.name}) → ${filed.status}`);
  const reviewer = await reviewerOf(service.agency);
  const d = await call(reviewer, 'GET', `/cases/${filed.number}`);
  const claimed = await call(reviewer, 'POST', `/cases/${filed.number}/claim`, { version: d.version });
  const label = ((await call(citizen.token, 'GET', `/cases/${filed.number}`)) as unknown as { statusLabel: string }).statusLabel;
  step('reviewer claimed', `${claimed.status} («${label}»)`);
  const mail = await mailTo(email, `${filed.number}: статус «${label}»`);
  step('status mail arrived', `«${mail.subject}» to ${mail.to} (npm run -s messages -- --to ${mail.to})`);
  process.stdout.write(`  ${mail.text.split('\n').slice(2, 7).join('\n  ')}\n`);
}

async function walkApplication(citizen: string, reviewer: string, service: Service, form: Record<string, unknown>) {
  const filed = await call(citizen, 'POST', '/cases', { serviceCode: service.code, form, documents: [] });
  step('filed', `${filed.number} (${service.name}) → ${filed.status}`);
  let d = await call(citizen, 'GET', `/cases/${filed.number}`);
  step('citizen sees', { status: d.status, legalDueDate: d.legalDueDate });
  const claimed = await call(reviewer, 'POST', `/cases/${filed.number}/claim`, { version: d.version });
  step('reviewer claimed', claimed.status);
  const asked = await call(reviewer, 'POST', `/cases/${filed.number}/request-info`, {
    version: claimed.version,
    message: 'Уточните цель получения справки',
  });
  step('information requested', asked.status);
  d = await call(citizen, 'GET', `/cases/${filed.number}`);
  step('citizen sees', { status: d.status, answerDue: d.infoRequest?.dueAt, clockPaused: d.deadline?.paused });
  const answered = await call(citizen, 'POST', `/cases/${filed.number}/answer`, { comment: 'Для трудоустройства' });
  step('citizen answered', answered.status);
  const decided = await call(reviewer, 'POST', `/cases/${filed.number}/decide`, {
    version: answered.version,
    outcome: 'approve',
    comment: 'Оснований для отказа нет',
  });
  step('reviewer approved', decided.status);
  d = await until(citizen, filed.number, 'completed');
  step('completed', { result: d.result?.verificationCode, expectedDueDate: d.expectedDueDate });
  if (d.result?.appointment) step('collect in person', d.result.appointment);
  else await checkResult(citizen, d);
  const timeline = await call(citizen, 'GET', `/cases/${filed.number}/timeline`);
  step('timeline', timeline.items.map((e) => e.type).join(' → '));
}

async function walkAppeal(citizen: string, reviewer: string, otherReviewer: string, expert: string, service: Service, form: Record<string, unknown>) {
  const filed = await call(citizen, 'POST', '/cases', { serviceCode: service.code, form, documents: [] });
  let d = await call(reviewer, 'GET', `/cases/${filed.number}`);
  d = await call(reviewer, 'POST', `/cases/${filed.number}/claim`, { version: d.version });
  await call(reviewer, 'POST', `/cases/${filed.number}/decide`, { version: d.version, outcome: 'reject', reasonCode: 'not_eligible', comment: 'Не положено' });
  step('application rejected', filed.number);
  const appeal = await call(citizen, 'POST', `/cases/${filed.number}/appeals`, { ground: 'rejection', reasons: 'Основания для выдачи справки были представлены' });
  step('appeal filed', `${appeal.number} → ${appeal.status}`);
  step('contested case', { underAppeal: (await call(citizen, 'GET', `/cases/${filed.number}`)).underAppeal });
  d = await call(expert, 'GET', `/cases/${appeal.number}`);
  d = await call(expert, 'POST', `/cases/${appeal.number}/claim`, { version: d.version });
  const upheld = await call(expert, 'POST', `/cases/${appeal.number}/appeal-decision`, { version: d.version, outcome: 'upheld', reasons: 'Отказ необоснован', remedy: 'reopen' });
  step('expert upheld', upheld.status);
  d = await until(citizen, filed.number, 'reopened');
  step('application reopened', d.status);
  d = await call(otherReviewer, 'POST', `/cases/${filed.number}/claim`, { version: d.version });
  await call(otherReviewer, 'POST', `/cases/${filed.number}/decide`, { version: d.version, outcome: 'approve', comment: 'Пересмотрено' });
  d = await until(citizen, filed.number, 'completed');
  step('another reviewer approved', { status: d.status, result: d.result?.verificationCode });
}

async function walkInbox(citizen: string) {
  const before = await call(citizen, 'GET', '/inbox/unread-count');
  const { items } = await call(citizen, 'GET', '/inbox?limit=5');
  step('inbox, unread first', `${before.unread} unread: ${items.map((i) => i.title).join(' · ')}`);
  const newest = items[0];
  if (!newest) throw new Error('the citizen has no notifications after filing cases');
  const read = await call(citizen, 'POST', `/inbox/${newest.id}/read`);
  const after = await call(citizen, 'GET', '/inbox/unread-count');
  step('one marked read', { title: newest.title, readAt: read.readAt, unread: after.unread });
  const all = await call(citizen, 'POST', '/inbox/read-all');
  step('all marked read', { marked: all.marked, unread: all.unread });
}

async function walkFee(citizen: string, expert: string, service: Service, form: Record<string, unknown>) {
  const documents = await uploadScans(citizen, service.requiredDocuments);
  const filed = await call(citizen, 'POST', '/cases', { serviceCode: service.code, form, documents });
  step('filed', `${filed.number} (${service.name}) → ${filed.status}`);
  const { invoice } = (await call(citizen, 'GET', `/cases/${filed.number}`)).fee;
  if (!invoice?.paymentUrl) throw new Error(`${filed.number} has no invoice with a payment link`);
  step('invoice', invoice);
  const page = await fetch(invoice.paymentUrl);
  step('payment page', `${page.status} ${page.headers.get('content-type')} ${invoice.paymentUrl}`);
  if (!page.ok) throw new Error(`the payment page answered ${page.status}`);
  // The page's button posts to the same address; answered in JSON when not asked for a page.
  const paid = await call(undefined, 'POST', new URL(invoice.paymentUrl).pathname);
  step('paid on the provider page', { transactionId: paid.transactionId, callback: paid.callbackStatus });
  let d = await until(citizen, filed.number, 'submitted');
  step('receipt on the case', d.fee.receipts[0]);
  const appeal = await call(citizen, 'POST', `/cases/${filed.number}/appeals`, { ground: 'wrong_fee', reasons: 'Пошлина начислена в завышенном размере' });
  d = await call(expert, 'GET', `/cases/${appeal.number}`);
  d = await call(expert, 'POST', `/cases/${appeal.number}/claim`, { version: d.version });
  const correctedFee = Math.floor(invoice.amount / 2);
  await call(expert, 'POST', `/cases/${appeal.number}/appeal-decision`, { version: d.version, outcome: 'upheld', reasons: 'Пошлина взыскана неверно', correctedFee });
  step('wrong-fee appeal upheld', `${appeal.number}: the duty is ${correctedFee} RUB`);
  d = await until(citizen, filed.number, (x) => x.fee.refunds.length > 0);
  step('refund on the case', d.fee.refunds[0]);
}

const PLATE_LETTERS = 'АВЕКМНОРСТУХ';
const pick = (n: number) => Array.from({ length: n }, () => PLATE_LETTERS[Math.floor(Math.random() * PLATE_LETTERS.length)]).join('');

async function walkPassportChange(owner: string, ownerId: string, inspector: string) {
  // Signed as a citizen's signing tool signs: a detached CMS, with a GOST certificate when the engine is installed.
  const dir = path.join(config.dataDir, 'dev-ca');
  const holder: KeyHolder = (await gostEngineAvailable())
    ? await developmentGostHolder(dir, ownerId, '11223344595')
    : await developmentHolder(dir, ownerId, '11223344595').then((h) => ({ algorithm: 'ecdsa' as const, certPem: h.pem, keyPem: h.keyPem }));
  const cert = await call(owner, 'POST', '/certificates', { certificatePem: holder.certPem });
  step('certificate registered', cert.id);
  const { items } = (await call(owner, 'GET', '/vehicles')) as unknown as { items: { vin: string; status: string; version: number }[] };
  const vehicle = items.find((v) => v.status === 'active');
  if (!vehicle) throw new Error(`${ownerId} has no active vehicle (demo vehicles are seeded by npm start)`);
  const change = { kind: 'plate', payload: { plate: `${pick(1)}${String(Math.floor(100 + Math.random() * 899))}${pick(2)}77` }, basedOnVersion: vehicle.version };
  const form = await call(owner, 'POST', `/vehicles/${vehicle.vin}/signing-form`, change);
  const signature = (await cmsSign(holder, Buffer.from(form.base64, 'base64'))).toString('base64');
  const filed = await call(owner, 'POST', `/vehicles/${vehicle.vin}/changes`, { ...change, signature });
  step('signed change filed', `${filed.number} ${vehicle.vin} plate → ${change.payload.plate} (CMS, ${holder.algorithm})`);
  let d = await call(inspector, 'GET', `/cases/${filed.number}`);
  d = await call(inspector, 'POST', `/cases/${filed.number}/claim`, { version: d.version });
  await call(inspector, 'POST', `/cases/${filed.number}/decide`, { version: d.version, outcome: 'approve', comment: 'Проверено' });
  d = await until(owner, filed.number, 'completed');
  step('passport updated', { version: d.result?.version, extract: d.result?.extractCode });
  const verified = await call(undefined, 'GET', d.result!.verify!);
  step('extract verified (public)', verified);
  await checkResult(owner, d);
  const old = await call(owner, 'GET', `/vehicles/${vehicle.vin}/versions/${vehicle.version}`);
  step('previous version', { version: vehicle.version, plate: old.passport.plate });
}

async function main() {
  const suffix = Date.now().toString(36);
  const citizen = await mintToken(config.auth, { id: `walk-citizen-${suffix}`, role: 'citizen', level: 'confirmed' });
  const { items } = (await call(undefined, 'GET', '/catalogue?limit=100')) as unknown as { items: Service[] };
  const service = values.service
    ? items.find((s) => s.code === values.service)
    : items.find((s) => s.fee.base === 0 && !s.fee.byField && s.requiredDocuments.length === 0 && s.formSchema.examples?.length);
  if (!service) throw new Error('no free service without required documents and with a form example in the catalogue');
  const form = service.formSchema.examples?.[0];
  if (!form) throw new Error(`service ${service.code} has no form example`);
  const reviewer = await mintToken(config.auth, { id: `walk-reviewer-${suffix}`, role: 'reviewer', agency: service.agency });
  const otherReviewer = await mintToken(config.auth, { id: `walk-reviewer2-${suffix}`, role: 'reviewer', agency: service.agency });
  const expert = await mintToken(config.auth, { id: `walk-expert-${suffix}`, role: 'expert' });
  const alice = await mintToken(config.auth, { id: 'alice', role: 'citizen', level: 'confirmed' });
  const inspector = await mintToken(config.auth, { id: `walk-inspector-${suffix}`, role: 'reviewer', agency: 'gibdd' });

  process.stdout.write('— registration\n');
  const registered = await walkRegistration();
  if (registered) {
    process.stdout.write('— messages\n');
    await walkMessages(registered, (agency) => mintToken(config.auth, { id: `walk-reviewer-${suffix}`, role: 'reviewer', agency }), items);
  }
  process.stdout.write('— application\n');
  await walkApplication(citizen, reviewer, service, form);
  process.stdout.write('— appeal\n');
  await walkAppeal(citizen, reviewer, otherReviewer, expert, service, form);
  process.stdout.write('— passport change (EPTS)\n');
  await walkPassportChange(alice, 'alice', inspector);
  const paid = items.find((s) => s.fee.base > 0 && s.formSchema.examples?.length);
  process.stdout.write('— fee\n');
  if (paid) await walkFee(citizen, expert, paid, paid.formSchema.examples![0]!);
  else step('fee skipped', 'no paid service with a form example in the catalogue');
  process.stdout.write('— inbox\n');
  await walkInbox(citizen);
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
