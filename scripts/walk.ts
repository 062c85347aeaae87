/**
 * Walks one application through its whole life over HTTP against a running API
 * (`npm start` in another terminal): file → claim → request info → answer → approve →
 * completed. Prints every step; exits non-zero at the first unexpected answer.
 *
 *   npm run walk [-- --api http://127.0.0.1:3000] [--service CODE]
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../api/auth';
import { loadConfig } from '../config';

const { values } = parseArgs({
  options: { api: { type: 'string', default: 'http://127.0.0.1:3000' }, service: { type: 'string' } },
});
const api = values.api!.replace(/\/$/, '');
const config = loadConfig();

/** The fields of API answers the walk reads. */
interface Answer {
  number: string;
  status: string;
  version: number;
  legalDueDate?: string;
  expectedDueDate?: string;
  infoRequest?: { dueAt: string };
  deadline?: { paused: boolean };
  result?: { verificationCode: string };
  items: { type: string }[];
}

async function call(token: string | undefined, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json().catch(() => ({}))) as Answer;
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(json)}`);
  return json;
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
  for (let i = 0; i < 50; i++) {
    d = await call(citizen, 'GET', `/cases/${filed.number}`);
    if (d.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (d.status !== 'completed') throw new Error(`case ended as ${d.status}, expected completed`);
  step('completed', { result: d.result?.verificationCode, expectedDueDate: d.expectedDueDate });
  const timeline = await call(citizen, 'GET', `/cases/${filed.number}/timeline`);
  step('timeline', timeline.items.map((e) => e.type).join(' → '));
}

main().catch((err) => {
  process.stderr.write(`✗ ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
