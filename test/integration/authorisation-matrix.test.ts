/**
 * The authorisation matrix, generated from the route table as the app registers it: every
 * route is public on purpose or names its roles; every role it does not name is refused
 * before anything is looked up; and for every role it names, an attempt on the role's own
 * resource and on someone else's gets the answer the table says. A route, or a role of a
 * route, without an entry fails the test.
 */
import type { LightMyRequestResponse, RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../core/case-model';
import type { Principal } from '../../core/principal';
import { LADA } from '../support/fixtures';
import { ok, signChange } from '../support/http';
import { fingerprint, matrixResources, matrixStack, quiet, type MatrixResources } from '../support/matrix-resources';
import { alice, bob, dora, erik, fedor, igor, olga, rita, sam } from '../support/personas';
import type { Stack } from '../support/stack';

/**
 * Every route the app registers without `config.roles`, and why it is open. A new route
 * without roles fails this test until it is listed here: nothing becomes public by accident.
 */
const PUBLIC: Record<string, string> = {
  'GET /healthz': 'liveness probe',
  'GET /readyz': 'readiness probe',
  'GET /metrics': 'the scrape: METRICS_TOKEN, not a user token',
  'GET /docs': 'the Swagger UI (development; API_DOCS_UI in production)',
  'GET /docs/json': 'the OpenAPI document',
  'GET /docs/yaml': 'the OpenAPI document',
  'GET /docs/static/*': 'the Swagger UI',
  'GET /docs/static/index.html': 'the Swagger UI',
  'GET /docs/static/swagger-initializer.js': 'the Swagger UI',
  'GET /catalogue': 'the catalogue is public',
  'GET /catalogue/:code': 'the catalogue is public',
  'GET /results/signing-key': 'anyone may verify a result document',
  'GET /results/:code/verify': 'anyone may verify a result document by its code',
  'POST /results/verify': 'anyone may verify a result document by its PDF',
  'GET /extracts/:code/verify': 'anyone may verify a passport extract by its code',
  'POST /auth/login': 'sign-in',
  'POST /identity/registrations': 'registration',
  'POST /identity/registrations/:number/code': 'registration, by the code sent to the address',
  'POST /identity/registrations/:number/restart': 'registration, by the code sent to the address',
  'POST /payments/callback': 'the payment gateway, by its HMAC signature',
  'POST /identity/banks/:bank/callback': 'online banks, each by its own HMAC key',
  'GET /dev/pay/:paymentId': 'the development payment provider (never in production)',
  'POST /dev/pay/:paymentId': 'the development payment provider (never in production)',
};

/** A syntactically valid value for each path parameter: refusals must come before any lookup. */
const DUMMY: Record<string, string> = {
  number: 'A-2026-0000001',
  id: '1',
  vin: LADA,
  code: 'ABCD-EFGH-JKLM',
  paymentId: '0000000000000000000000001',
  version: '1',
};

/** One person of each role; the reviewer of an agency the test services belong to. */
const PERSON: Record<Role, Principal> = {
  citizen: { id: 'matrix-citizen', role: 'citizen', level: 'confirmed' },
  reviewer: { id: 'matrix-reviewer', role: 'reviewer', agency: 'mvd', supervisor: true },
  expert: { id: 'matrix-expert', role: 'expert', supervisor: true },
  operator: { id: 'matrix-operator', role: 'operator' },
  admin: { id: 'matrix-admin', role: 'admin' },
};

interface Route {
  method: string;
  url: string;
  roles?: readonly Role[];
}

const routes: Route[] = [];
let stack: Stack;

let ownership: Check[];

beforeAll(async () => {
  // Every request of the matrix comes from one address and a few subjects.
  const made = await matrixStack({ RATE_LIMIT_PER_MINUTE: '100000' }, {
    onRoute: (route: RouteOptions) => {
      for (const method of [route.method].flat()) routes.push({ method: method.toUpperCase(), url: route.url, roles: route.config?.roles });
    },
  });
  stack = made.stack;
  const resources = await matrixResources(stack, made.ca, made.aliceCert, made.bobCert);
  ownership = [];
  // In the table's order: an entry may make the resource its owner's attempt acts on.
  for (const [route, byRole] of Object.entries(OWNERSHIP)) {
    for (const [role, entry] of Object.entries(byRole)) {
      if (typeof entry === 'function') ownership.push({ route, role: role as Role, ...(await entry(resources)) });
    }
  }
}, 120_000);
afterAll(async () => stack?.close());

const key = (r: Route) => `${r.method} ${r.url}`;
const urlOf = (r: Route) => r.url.replace(/:(\w+)/g, (_, name: string) => DUMMY[name] ?? 'x1');

function expectProblem(res: LightMyRequestResponse, status: number, code: string, what: string) {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
  expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  // HEAD answers carry the headers of a GET, without the body.
  if (res.body) expect(res.json(), what).toMatchObject({ status, code });
}

describe('authorisation matrix of every registered route', () => {
  it('lists every route without roles as public on purpose, and every other route names roles', () => {
    // HEAD routes are Fastify's twins of the GET routes, with the same configuration.
    const open = routes.filter((r) => !r.roles && r.method !== 'HEAD').map(key);
    expect(open.sort()).toEqual(Object.keys(PUBLIC).sort());
    expect(routes.filter((r) => r.roles).length).toBeGreaterThan(50);
    for (const r of routes) if (r.roles) expect(r.roles.length, key(r)).toBeGreaterThan(0);
  });

  it('refuses each route to no token and a bad one (401), and to every role it does not name (403), before looking at anything else', async () => {
    const forged = `${(await stack.token(PERSON.admin)).slice(0, -6)}AAAAAA`;
    let refusals = 0;
    for (const route of routes.filter((r) => r.roles)) {
      const request = { method: route.method as 'GET', url: urlOf(route) };
      expectProblem(await stack.app.inject(request), 401, 'Unauthenticated', `${key(route)} without a token`);
      expectProblem(await stack.app.inject({ ...request, headers: { authorization: `Bearer ${forged}` } }), 401, 'Unauthenticated', `${key(route)} with a forged token`);
      for (const role of ROLES.filter((r) => !route.roles!.includes(r))) {
        expectProblem(await stack.call(PERSON[role], request), 403, 'Forbidden', `${key(route)} as ${role}`);
        refusals += 1;
      }
    }
    expect(refusals).toBeGreaterThan(100);
  });
});

// ---- own vs another's -------------------------------------------------------------

interface Request {
  method: 'GET' | 'POST';
  url: string;
  payload?: Record<string, unknown>;
}

/**
 * What an attempt must get: a status (a refusal after the resource was found is still
 * "found"); 'not found', the problem a stranger gets, the same as for nothing there; a
 * 400 naming the field that carries someone else's resource; or a list that does or does
 * not carry the item.
 */
type Outcome = number | 'not found' | { field: string } | { lists: string | number } | { omits: string | number };

interface Attempt {
  who: Principal;
  request: Request;
  gets: Outcome;
}

/** One route and role: the attempt on the role's own resource, and on someone else's; a string says why there is none. */
interface Pair {
  mine: Attempt | string;
  another: Attempt | string;
}

interface Check extends Pair {
  route: string;
  role: Role;
}

/** A string: why the route addresses nothing that belongs to anyone, for this role. */
type Entry = string | ((r: MatrixResources) => Promise<Pair>);

const OWN_ACCOUNT = "the caller's own account, from the token: the request names nobody's resource";
const ADMIN = 'admins see and act on every case, record and catalogue entry: nothing is theirs or another\'s (their reads of personal data are journaled)';
const OFFICIALS_NOTICES = "officials' own notices come from deadline timers: inbox-http's time-skipping test reads and marks them";
const COUNT = 'counts the caller\'s own unread notices: the same recipient filter as GET /inbox, checked there';

const get = (url: string): Request => ({ method: 'GET', url });
const post = (url: string, payload: Record<string, unknown> = {}): Request => ({ method: 'POST', url, payload });

/** The owner gets `status`, a stranger the 404 of a case that does not exist. */
const owned =
  (request: (r: MatrixResources) => Promise<Request> | Request, owner: Principal, status: number, stranger: Principal): Entry =>
  async (r) => {
    const req = await request(r);
    return { mine: { who: owner, request: req, gets: status }, another: { who: stranger, request: req, gets: 'not found' } };
  };

/** The same official, on a resource of their desk and on one outside it. */
const desk =
  (who: Principal, mine: (r: MatrixResources) => Promise<Request> | Request, status: number, outside: (r: MatrixResources) => Promise<Request> | Request): Entry =>
  async (r) => ({ mine: { who, request: await mine(r), gets: status }, another: { who, request: await outside(r), gets: 'not found' } });

/** The owner's list carries the item, the stranger's does not. */
const listed =
  (url: string, item: (r: MatrixResources) => string | number, owner: Principal | string, stranger: Principal): Entry =>
  async (r) => ({
    mine: typeof owner === 'string' ? owner : { who: owner, request: get(url), gets: { lists: item(r) } },
    another: { who: stranger, request: get(url), gets: { omits: item(r) } },
  });

const version = async (who: Principal, number: string) => ok(await stack.call(who, get(`/cases/${number}`))).version as number;

const claim = async (number: string) => post(`/cases/${number}/claim`, { version: await version(alice, number) });

/** `action` at the current version on a case rita claimed for her desk (mvd). */
const ritasCase = (action: string, body: Record<string, unknown>) => async (r: MatrixResources) => {
  const number = await r.claimedBy(rita);
  return post(`/cases/${number}/${action}`, { version: await version(rita, number), ...body });
};

/** `action` at the current version on an appeal erik claimed. */
const eriksAppeal = (action: string, body: Record<string, unknown>) => async (r: MatrixResources) => {
  const number = await r.claimedAppeal();
  return post(`/cases/${number}/${action}`, { version: await version(erik, number), ...body });
};

const DISMISSED = { outcome: 'dismissed', reasons: 'Доводы не подтверждены' };

const caseReads = (path: (r: MatrixResources) => string): Partial<Record<Role, Entry>> => ({
  citizen: owned((r) => get(path(r)), alice, 200, bob),
  reviewer: owned((r) => get(path(r)), rita, 200, fedor),
  admin: ADMIN,
});

const PLATE = { kind: 'plate', payload: { plate: 'b456ck 77' } };
const passportReads = (url: string): Partial<Record<Role, Entry>> => ({
  citizen: owned(() => get(url), alice, 200, bob),
  reviewer: owned(() => get(url), igor, 200, rita),
  admin: ADMIN,
});
const documentReads = (suffix: string): Partial<Record<Role, Entry>> => ({
  citizen: owned((r) => get(`/documents/${r.attached}${suffix}`), alice, 200, bob),
  reviewer: owned((r) => get(`/documents/${r.attached}${suffix}`), rita, 200, fedor),
  expert: desk(erik, (r) => get(`/documents/${r.contestedDocument}${suffix}`), 200, (r) => get(`/documents/${r.attached}${suffix}`)),
  admin: ADMIN,
});

/**
 * Every route that names roles, for every role it names: the attempt on the role's own
 * resource and on another's, with the answer each must get. Strangers meet the 404 of a
 * resource that does not exist, so nothing can be probed; officials' "own" is their desk
 * (an agency's cases, the appeals, the passports of the traffic police). A route or role
 * missing here fails the first test.
 */
const OWNERSHIP: Record<string, Partial<Record<Role, Entry>>> = {
  'GET /cases': { citizen: listed('/cases?limit=100', (r) => r.read, alice, bob) },
  'POST /cases': {
    citizen: async (r) => {
      const request = post('/cases', { serviceCode: r.service.code, form: { purpose: 'для работы', copies: 1 }, documents: [r.scan] });
      return { mine: { who: alice, request, gets: 201 }, another: { who: bob, request, gets: { field: '/body/documents/0' } } };
    },
  },
  'GET /cases/:number': {
    ...caseReads((r) => `/cases/${r.read}`),
    expert: desk(erik, (r) => get(`/cases/${r.readAppeal}`), 200, (r) => get(`/cases/${r.read}`)),
  },
  'GET /cases/:number/timeline': {
    ...caseReads((r) => `/cases/${r.read}/timeline`),
    expert: desk(erik, (r) => get(`/cases/${r.readAppeal}/timeline`), 200, (r) => get(`/cases/${r.read}/timeline`)),
  },
  'GET /cases/:number/result': {
    ...caseReads((r) => `/cases/${r.approved}/result`),
    expert: async (r) => ({
      mine: 'a case an appeal contests was refused: it has no result document',
      another: { who: erik, request: get(`/cases/${r.approved}/result`), gets: 'not found' },
    }),
  },
  'GET /cases/:number/result/signature': {
    ...caseReads((r) => `/cases/${r.approved}/result/signature`),
    expert: async (r) => ({
      mine: 'a case an appeal contests was refused: it has no result document',
      another: { who: erik, request: get(`/cases/${r.approved}/result/signature`), gets: 'not found' },
    }),
  },
  'POST /cases/:number/edit': { citizen: owned(async (r) => post(`/cases/${await r.fresh()}/edit`, { form: { purpose: 'для учёбы', copies: 2 }, documents: [] }), alice, 200, bob) },
  'POST /cases/:number/cancel': { citizen: owned(async (r) => post(`/cases/${await r.fresh()}/cancel`), alice, 200, bob) },
  'POST /cases/:number/restore': { citizen: owned((r) => post(`/cases/${r.cancelled}/restore`), alice, 200, bob) },
  'POST /cases/:number/answer': { citizen: owned((r) => post(`/cases/${r.asked}/answer`, { comment: 'Прилагаю', documents: [] }), alice, 200, bob) },
  'POST /cases/:number/appeals': {
    citizen: owned(async (r) => post(`/cases/${await r.rejected()}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), alice, 201, bob),
  },
  'POST /cases/:number/resend': { citizen: owned(async (r) => post(`/cases/${await r.rejected()}/resend`), alice, 201, bob) },
  'POST /cases/:number/withdraw': { citizen: owned((r) => post(`/cases/${r.withdrawable}/withdraw`), alice, 200, bob) },
  // The buyer is the one who confirms a sale; a stranger to it gets 404 (the seller 403, as epts-changes-http tests).
  'POST /cases/:number/confirm-sale': { citizen: owned(async (r) => post(`/cases/${r.saleCase}/confirm-sale`, { signature: await r.buyerSignature() }), bob, 200, dora) },
  'POST /cases/:number/claim': {
    reviewer: owned(async (r) => claim(await r.fresh()), rita, 200, fedor),
    expert: desk(erik, async (r) => claim(await r.appeal()), 200, async (r) => claim(await r.fresh())),
  },
  'POST /cases/:number/assign': {
    reviewer: owned(ritasCase('assign', { assigneeId: 'rob' }), rita, 200, fedor),
    expert: desk(erik, eriksAppeal('assign', { assigneeId: 'matrix-expert' }), 200, ritasCase('assign', { assigneeId: 'matrix-expert' })),
  },
  'POST /cases/:number/request-info': {
    reviewer: owned(ritasCase('request-info', { message: 'Приложите скан' }), rita, 200, fedor),
    expert: desk(erik, eriksAppeal('request-info', { message: 'Приложите материалы' }), 200, ritasCase('request-info', { message: 'Приложите материалы' })),
  },
  'POST /cases/:number/decide': { reviewer: owned(ritasCase('decide', { outcome: 'approve', comment: 'Оснований для отказа нет' }), rita, 200, fedor) },
  'POST /cases/:number/appeal-decision': {
    expert: desk(erik, eriksAppeal('appeal-decision', DISMISSED), 200, ritasCase('appeal-decision', DISMISSED)),
  },
  'GET /queue': {
    reviewer: listed('/queue?limit=100', (r) => r.read, rita, fedor),
    expert: async (r) => ({ mine: { who: erik, request: get('/queue?limit=100'), gets: { lists: r.readAppeal } }, another: { who: erik, request: get('/queue?limit=100'), gets: { omits: r.read } } }),
  },
  'GET /vehicles': { citizen: listed('/vehicles', () => LADA, alice, bob) },
  'GET /vehicles/:vin': passportReads(`/vehicles/${LADA}`),
  'GET /vehicles/:vin/versions': passportReads(`/vehicles/${LADA}/versions`),
  'GET /vehicles/:vin/versions/:version': passportReads(`/vehicles/${LADA}/versions/1`),
  'POST /vehicles/:vin/signing-form': { citizen: owned(() => post(`/vehicles/${LADA}/signing-form`, { ...PLATE, basedOnVersion: 1 }), alice, 200, bob) },
  'POST /vehicles/:vin/changes': {
    citizen: async (r) => {
      const signature = await signChange(stack, alice, LADA, PLATE, 1, r.aliceCert);
      const request = post(`/vehicles/${LADA}/changes`, { ...PLATE, basedOnVersion: 1, signature, certificateId: r.aliceCertId });
      return { mine: { who: alice, request, gets: 201 }, another: { who: bob, request, gets: 'not found' } };
    },
  },
  'GET /certificates': { citizen: listed('/certificates', (r) => r.aliceCertId, alice, bob) },
  'POST /certificates': { citizen: 'registers a certificate as the caller\'s own; its holder is checked against the account\'s SNILS (vehicles-http)' },
  'POST /certificates/:id/revoke': { citizen: owned((r) => post(`/certificates/${r.spareCertId}/revoke`), alice, 200, bob) },
  'POST /documents': { citizen: 'an upload makes a document of the caller\'s own: it names nobody\'s' },
  'GET /documents/:id': documentReads(''),
  'GET /documents/:id/content': documentReads('/content'),
  'POST /identity/upgrades/standard': { citizen: OWN_ACCOUNT },
  'POST /identity/upgrades/confirmed': { citizen: OWN_ACCOUNT },
  'POST /identity/upgrades/confirmed/:number/letter-code': {
    citizen: async (r) => {
      const request = post(`/identity/upgrades/confirmed/${r.letterRequest}/letter-code`, { code: await r.letterCode() });
      return { mine: { who: r.byLetter, request, gets: 200 }, another: { who: bob, request, gets: 'not found' } };
    },
  },
  'POST /identity/upgrades/confirmed/:number/signature': {
    // The owner's attempt gets past the lookup and is refused for its signature: an authority nobody accredited.
    citizen: async (r) => {
      const request = post(`/identity/upgrades/confirmed/${r.signatureRequest}/signature`, r.strangerSignature);
      return { mine: { who: r.bySignature, request, gets: 422 }, another: { who: bob, request, gets: 'not found' } };
    },
  },
  'GET /identity/in-person/:number': {
    operator: desk(olga, (r) => get(`/identity/in-person/${r.inPersonRequest}`), 200, (r) => get(`/identity/in-person/${r.letterRequest}`)),
  },
  'POST /identity/in-person/:number/decision': {
    operator: desk(
      olga,
      (r) => post(`/identity/in-person/${r.inPersonRequest}/decision`, { decision: 'confirm', office: 'МФЦ на Тверской', version: r.inPersonVersion }),
      200,
      (r) => post(`/identity/in-person/${r.letterRequest}/decision`, { decision: 'confirm', office: 'МФЦ на Тверской', version: 1 }),
    ),
  },
  'GET /me/contacts': { citizen: OWN_ACCOUNT },
  'POST /me/contacts': { citizen: OWN_ACCOUNT },
  'POST /me/contacts/:number/code': {
    citizen: async (r) => {
      const request = post(`/me/contacts/${r.contactChange}/code`, { code: await r.contactCode() });
      return { mine: { who: r.changing, request, gets: 200 }, another: { who: bob, request, gets: 'not found' } };
    },
  },
  'GET /me/notification-preferences': { citizen: OWN_ACCOUNT },
  'PATCH /me/notification-preferences': { citizen: OWN_ACCOUNT },
  'GET /inbox': {
    citizen: listed('/inbox?limit=100', (r) => r.aliceNotice, alice, bob),
    expert: async (r) => ({ mine: { who: erik, request: get('/inbox?limit=100'), gets: { lists: r.expertNotice } }, another: { who: erik, request: get('/inbox?limit=100'), gets: { omits: r.aliceNotice } } }),
    reviewer: listed('/inbox?limit=100', (r) => r.aliceNotice, OFFICIALS_NOTICES, sam),
    operator: listed('/inbox?limit=100', (r) => r.aliceNotice, OFFICIALS_NOTICES, olga),
    admin: listed('/inbox?limit=100', (r) => r.aliceNotice, OFFICIALS_NOTICES, PERSON.admin),
  },
  'GET /inbox/unread-count': { citizen: COUNT, reviewer: COUNT, expert: COUNT, operator: COUNT, admin: COUNT },
  'POST /inbox/:id/read': {
    citizen: owned((r) => post(`/inbox/${r.aliceNotice}/read`), alice, 200, bob),
    expert: desk(erik, (r) => post(`/inbox/${r.expertNotice}/read`), 200, (r) => post(`/inbox/${r.aliceNotice}/read`)),
    reviewer: async (r) => ({ mine: OFFICIALS_NOTICES, another: { who: sam, request: post(`/inbox/${r.aliceNotice}/read`), gets: 'not found' } }),
    operator: async (r) => ({ mine: OFFICIALS_NOTICES, another: { who: olga, request: post(`/inbox/${r.aliceNotice}/read`), gets: 'not found' } }),
    admin: async (r) => ({ mine: OFFICIALS_NOTICES, another: { who: PERSON.admin, request: post(`/inbox/${r.aliceNotice}/read`), gets: 'not found' } }),
  },
  // Someone else's "read all" marks nothing of alice's: the stranger phase finds every table as it was.
  'POST /inbox/read-all': {
    citizen: async () => ({ mine: { who: alice, request: post('/inbox/read-all'), gets: 200 }, another: { who: dora, request: post('/inbox/read-all'), gets: 200 } }),
    reviewer: async () => ({ mine: OFFICIALS_NOTICES, another: { who: sam, request: post('/inbox/read-all'), gets: 200 } }),
    operator: async () => ({ mine: OFFICIALS_NOTICES, another: { who: olga, request: post('/inbox/read-all'), gets: 200 } }),
    admin: async () => ({ mine: OFFICIALS_NOTICES, another: { who: PERSON.admin, request: post('/inbox/read-all'), gets: 200 } }),
    expert: "the appeal team's rows are shared: one expert's read marks them for all experts (inbox-http)",
  },
  'GET /admin/access-journal': { admin: ADMIN },
  'GET /admin/cases': { admin: ADMIN },
  'GET /admin/cases/:number/journal/verification': { admin: ADMIN },
  'GET /admin/catalogue-changes': { admin: ADMIN },
  'GET /admin/catalogue/:code': { admin: ADMIN },
  'GET /admin/catalogue/:code/versions/:version': { admin: ADMIN },
  'GET /admin/deliveries': { admin: ADMIN },
  'GET /admin/statistics': { admin: ADMIN },
  'POST /admin/catalogue': { admin: ADMIN },
  'PATCH /admin/catalogue/:code': { admin: ADMIN },
  'POST /admin/cases/:number/close': { admin: ADMIN },
  'POST /admin/cases/:number/extend-deadline': { admin: ADMIN },
  'POST /admin/catalogue/:code/retire': { admin: ADMIN },
  'POST /admin/reassignments': { admin: ADMIN },
  'POST /codec/decode': { admin: 'decodes payloads the caller sends: no one\'s resource is named' },
  'POST /codec/encode': { admin: 'encodes payloads the caller sends: no one\'s resource is named' },
};

function expectOutcome(res: LightMyRequestResponse, gets: Outcome, what: string) {
  if (gets === 'not found') return expectProblem(res, 404, 'NotFound', what);
  if (typeof gets === 'number') return expect(res.statusCode, `${what}: ${res.body}`).toBe(gets);
  if ('field' in gets) {
    expectProblem(res, 400, 'Invalid', what);
    return expect(res.json().errors.map((e: { path: string }) => e.path), what).toContain(gets.field);
  }
  const items = ok(res, 200).items as Array<Record<string, unknown>>;
  const has = (x: string | number) => items.some((i) => [i.id, i.number, i.vin].includes(x));
  if ('lists' in gets) expect(has(gets.lists), `${what}: lists ${gets.lists}`).toBe(true);
  else expect(has(gets.omits), `${what}: omits ${gets.omits}`).toBe(false);
}

const attempts = (side: 'mine' | 'another') => ownership.flatMap((c) => (typeof c[side] === 'string' ? [] : [{ check: c, attempt: c[side] as Attempt }]));

describe("own vs another's resource, for every route and every role it names", () => {
  it('has an entry for every route and role, and none for a route or role that is not there', () => {
    const named = routes.filter((r) => r.roles && r.method !== 'HEAD');
    const expected = named.flatMap((r) => r.roles!.map((role) => `${key(r)} as ${role}`)).sort();
    const entries = Object.entries(OWNERSHIP).flatMap(([route, byRole]) => Object.keys(byRole).map((role) => `${route} as ${role}`)).sort();
    expect(entries).toEqual(expected);
    expect(expected.length).toBeGreaterThan(80);
  });

  it("refuses another's resource as if it did not exist, and changes nothing", async () => {
    const before = await quiet(stack);
    for (const { check, attempt } of attempts('another')) {
      expectOutcome(await stack.call(attempt.who, attempt.request), attempt.gets, `${check.route} as ${check.role} (${attempt.who.id}) on another's`);
    }
    expect(await fingerprint(stack)).toBe(before);
    expect(attempts('another').length).toBeGreaterThan(60);
  });

  it("lets each role at its own resource, with the answer the action gives", async () => {
    for (const { check, attempt } of attempts('mine')) {
      expectOutcome(await stack.call(attempt.who, attempt.request), attempt.gets, `${check.route} as ${check.role} (${attempt.who.id}) on its own`);
    }
    expect(attempts('mine').length).toBeGreaterThan(40);
  });
});
