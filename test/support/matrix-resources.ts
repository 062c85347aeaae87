/**
 * What the ownership half of the authorisation matrix acts on: one resource of every kind
 * a route can address, each belonging to someone, and for every acting route a resource of
 * its own in the state that action needs, so each owner's attempt meets what it expects
 * and none depends on another having run first.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { AppObservers } from '../../api/app';
import type { Principal } from '../../core/principal';
import { seedDemoVehicles } from '../../db/seed';
import { accounts } from '../../db/schema';
import { createTestCa, issueTestCertificate, type TestCa, type TestCertificate } from './certificates';
import { pdfScan, SOLARIS } from './fixtures';
import { file, FORM, get, lastCode, lastLetterCode, officially, ok, post, rejectedCase, signChange } from './http';
import { alice, bob, erik, olga, rita } from './personas';
import { startStack, testService, type Stack } from './stack';

/** A citizen with an account at level standard, as a finished registration and registry check leave it. */
export interface Account extends Principal {
  email: string;
}

async function account(stack: Stack): Promise<Account> {
  const id = `matrix-${randomBytes(4).toString('hex')}`;
  const phone = `+7912${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const email = `${id}@example.ru`;
  await stack.database.db.insert(accounts).values({ id, name: 'Анна Петрова', email, phone, passwordHash: 'x', status: 'active', level: 'standard' });
  return { id, role: 'citizen', level: 'standard', email };
}

/** The number of an identity request `who` started; the raw answer must be 202. */
async function confirmedUpgrade(stack: Stack, who: Principal, method: string, place: string): Promise<string> {
  return ok(await post(stack, who, '/identity/upgrades/confirmed', { method, place }), 202).number;
}

const claimed = async (stack: Stack, who: Principal, number: string) => (await officially(stack, who, number, 'claim'), number);

/** An appeal of alice's against a rejection of rita's, not yet claimed; the contested case carries `documents`. */
async function appealOf(stack: Stack, serviceCode: string, documents: string[] = []): Promise<string> {
  const contested = await rejectedCase(stack, serviceCode, undefined, documents);
  return ok(await post(stack, alice, `/cases/${contested}/appeals`, { ground: 'rejection', reasons: 'Все основания были представлены' }), 201).number;
}

export async function matrixResources(stack: Stack, ca: TestCa, aliceCert: TestCertificate, bobCert: TestCertificate) {
  const service = testService();
  await stack.addService(service);
  await seedDemoVehicles(stack.database.db);
  const scan = ok(await stack.upload(alice, 'passport', pdfScan(1234), 'паспорт.pdf'), 201).id as string;
  const attached = ok(await stack.upload(alice, 'passport', pdfScan(2345), 'паспорт-2.pdf'), 201).id as string;
  const fresh = async () => (await file(stack, alice, service.code)).number;

  // A case alice filed with a document: what every reader reads.
  const read = (await file(stack, alice, service.code, FORM, [attached])).number;
  // An approved case with its result document.
  const approved = await fresh();
  await officially(stack, rita, approved, 'claim');
  await officially(stack, rita, approved, 'decide', { outcome: 'approve', comment: 'Оснований для отказа нет' });
  // The decision's answer waits for the result document (read your writes).
  expect(ok(await get(stack, alice, `/cases/${approved}`)).result).toMatchObject({ resultType: 'electronic_document', sha256: expect.any(String) });

  const cancelled = await fresh();
  await officially(stack, alice, cancelled, 'cancel');
  const asked = await claimed(stack, rita, await fresh());
  await officially(stack, rita, asked, 'request-info', { message: 'Приложите скан паспорта' });

  // Vehicles: alice owns LADA and SOLARIS; SOLARIS is being sold to bob.
  const aliceCertId = ok(await post(stack, alice, '/certificates', { certificatePem: aliceCert.pem }), 201).id as string;
  // A second one to revoke; with two, a signature names the certificate that made it.
  const spare = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
  const spareCertId = ok(await post(stack, alice, '/certificates', { certificatePem: spare.pem }), 201).id as string;
  ok(await post(stack, bob, '/certificates', { certificatePem: bobCert.pem }), 201);
  const sale = { kind: 'sale', payload: { buyerId: bob.id, contractDate: '2026-11-20' } };
  const saleSignature = await signChange(stack, alice, SOLARIS, sale, 1, aliceCert);
  const saleCase = ok(await post(stack, alice, `/vehicles/${SOLARIS}/changes`, { ...sale, basedOnVersion: 1, signature: saleSignature, certificateId: aliceCertId }), 201).number as string;
  const buyerSignature = async () => {
    const form = ok(await post(stack, alice, `/vehicles/${SOLARIS}/signing-form`, { ...sale, basedOnVersion: 1 }));
    return (await bobCert.sign(Buffer.from(form.base64, 'base64'))).toString('base64');
  };

  // An appeal experts read, against a refusal of a case that carries a document.
  const contestedDocument = ok(await stack.upload(alice, 'passport', pdfScan(3456), 'паспорт-3.pdf'), 201).id as string;
  const readAppeal = await appealOf(stack, service.code, [contestedDocument]);

  // Notices: alice's from her filings; the team row every expert gets for a new appeal.
  const withdrawable = await appealOf(stack, service.code);
  const aliceNotice = ok(await get(stack, alice, '/inbox?limit=100')).items[0].id as number;
  const expertNotice = ok(await get(stack, erik, '/inbox?limit=100')).items.find((n: { caseNumber: string }) => n.caseNumber === withdrawable).id as number;

  // Identity requests and a contact change, each of an account of its own.
  const [bySignature, byLetter, inPerson, changing] = [await account(stack), await account(stack), await account(stack), await account(stack)];
  const signatureRequest = await confirmedUpgrade(stack, bySignature, 'signature', 'qualified electronic signature');
  const letterRequest = await confirmedUpgrade(stack, byLetter, 'letter', '101000, Москва, ул. Мясницкая, д. 1, кв. 1');
  const inPersonRequest = await confirmedUpgrade(stack, inPerson, 'in_person', 'МФЦ «Мои документы», Тверская 8');
  const inPersonVersion = ok(await get(stack, olga, `/identity/in-person/${inPersonRequest}`)).version as number;
  const newEmail = `new-${changing.id}@example.ru`;
  const contactChange = ok(await post(stack, changing, '/me/contacts', { email: newEmail }), 201).number as string;
  const stranger = await issueTestCertificate(await createTestCa(), { name: 'Алиса', snils: '11223344595' });

  return {
    service,
    scan,
    attached,
    read,
    approved,
    cancelled,
    asked,
    /** A fresh submitted case of alice's, for an action that changes it. */
    fresh,
    rejected: () => rejectedCase(stack, service.code),
    appeal: () => appealOf(stack, service.code),
    /** An appeal erik has claimed. */
    claimedAppeal: async () => claimed(stack, erik, await appealOf(stack, service.code)),
    claimedBy: async (who: Principal) => claimed(stack, who, await fresh()),
    withdrawable,
    aliceCert,
    aliceCertId,
    spareCertId,
    readAppeal,
    contestedDocument,
    inPersonVersion,
    saleCase,
    buyerSignature,
    aliceNotice,
    expertNotice,
    bySignature,
    signatureRequest,
    /** A signature by a certificate of an authority nobody accredited: refused after the request is found. */
    strangerSignature: { certificatePem: stranger.pem, signature: (await stranger.sign(Buffer.from('x'))).toString('base64') },
    byLetter,
    letterRequest,
    letterCode: () => lastLetterCode(stack, '101000, Москва, ул. Мясницкая, д. 1, кв. 1'),
    inPersonRequest,
    changing,
    contactChange,
    contactCode: () => lastCode(stack, newEmail),
  };
}

export type MatrixResources = Awaited<ReturnType<typeof matrixResources>>;

/** The matrix's stack: a test authority the stack trusts, alice's and bob's certificates by it. */
export async function matrixStack(env: Record<string, string>, observers: AppObservers) {
  const ca = await createTestCa();
  const aliceCert = await issueTestCertificate(ca, { name: 'Алиса', snils: '11223344595' });
  const bobCert = await issueTestCertificate(ca, { name: 'Борис', snils: '11223344596' });
  const stack = await startStack({ env, observers, trust: { caPem: ca.pem } });
  return { stack, ca, aliceCert, bobCert };
}

/** Everything a refused attempt could have changed, as one string: unequal means something happened. */
export async function fingerprint(stack: Stack): Promise<string> {
  const tables = ['cases', 'case_registry', 'journal', 'notifications', 'documents', 'signing_certificates', 'contact_changes', 'identity_signatures', 'vehicles', 'passport_versions', 'accounts', 'issued_documents'];
  const parts: string[] = [];
  for (const table of tables) {
    const [row] = await stack.database.sql.unsafe(`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${table} t`);
    parts.push(`${table}:${row!.n}:${row!.h}`);
  }
  return parts.join(' ');
}

/** Waits until nothing changes any more (results issued, deliveries written), so a refusal's effect would show. */
export async function quiet(stack: Stack): Promise<string> {
  let last = '';
  await expect
    .poll(
      async () => {
        const now = await fingerprint(stack);
        const same = now === last;
        last = now;
        return same;
      },
      { timeout: 20_000, interval: 500 },
    )
    .toBe(true);
  return last;
}
