/**
 * Passport changes signed as a citizen's signing tool signs them: a detached CMS
 * (CAdES-BES) made by `openssl cms -sign` with a GOST R 34.10-2012 certificate of an
 * accredited authority's issuing CA, through the API on the real stack. The authority's
 * revocation list comes from a file (QES_CRL_FILES).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../core/principal';
import { accounts } from '../../db/schema';
import { seedDemoVehicles } from '../../db/seed';
import {
  cmsSign,
  createOpensslAuthority,
  issueOpensslHolder,
  revocationListOf,
  revokeOpenssl,
  type KeyHolder,
  type OpensslAuthority,
} from '../../signatures/openssl-authority';
import { testPayloadCodec } from '../support/codec';
import { HONDA, LADA } from '../support/fixtures';
import { historyText } from '../support/histories';
import { detail, eventually, officially, ok, passportVersion, post } from '../support/http';
import { alice, bob, igor } from '../support/personas';
import { startStack, type Stack } from '../support/stack';

const ALICE_SNILS = '11223344595';

describe('passport changes signed with GOST CMS signatures over HTTP', () => {
  let dir: string;
  let crlFile: string;
  let stack: Stack;
  let root: OpensslAuthority;
  let issuing: OpensslAuthority;
  let aliceCert: KeyHolder;

  /** The signing form from the API, signed by `openssl cms -sign -binary -outform DER` with the issuing CA in the envelope. */
  async function signForm(who: Principal, vin: string, change: object, basedOnVersion: number, signer: KeyHolder, outform: 'DER' | 'PEM' = 'DER') {
    const form = ok(await post(stack, who, `/vehicles/${vin}/signing-form`, { ...change, basedOnVersion }));
    return (await cmsSign(signer, Buffer.from(form.base64, 'base64'), { chain: issuing.intermediates, outform })).toString('base64');
  }
  /** Registers with the PEM bundle a signing tool exports: the certificate, then its issuing CA's. */
  const register = async (who: Principal, cert: KeyHolder) =>
    post(stack, who, '/certificates', { certificatePem: cert.certPem + issuing.intermediates.join('') });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gost-http-'));
    root = await createOpensslAuthority(path.join(dir, 'root'), { algorithm: 'gost2012_256', name: 'Тестовый головной УЦ' });
    issuing = await createOpensslAuthority(path.join(dir, 'issuing'), { algorithm: 'gost2012_256', name: 'Тестовый аккредитованный УЦ', issuer: root });
    aliceCert = await issueOpensslHolder(issuing, { name: 'Алиса Смирнова', snils: ALICE_SNILS, inn: '770123456789', algorithm: 'gost2012_512' });
    crlFile = path.join(dir, 'issuing.crl');
    await writeFile(crlFile, await revocationListOf(issuing));
    stack = await startStack({ trust: { caPem: root.certPem }, env: { QES_CRL_FILES: crlFile } });
    await seedDemoVehicles(stack.database.db);
  });
  afterAll(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a change signed with a GOST R 34.10-2012 (512) certificate, and the traffic police complete it', async () => {
    const registered = await register(alice, aliceCert);
    expect(registered.statusCode, registered.body).toBe(201);
    const change = { kind: 'plate', payload: { plate: 'Е777КХ77' } };
    const basedOnVersion = await passportVersion(stack, alice, LADA);
    const signature = await signForm(alice, LADA, change, basedOnVersion, aliceCert);
    const res = await post(stack, alice, `/vehicles/${LADA}/changes`, { ...change, basedOnVersion, signature });
    expect(res.statusCode, res.body).toBe(201);
    const number = res.json().number as string;
    expect((await detail(stack, alice, number)).signedWith).toBe(registered.json().serial);
    // The workflow keeps the signature as evidence, decoded here through the codec: the envelope
    // without the certificates, so the holder's SNILS is not among what Temporal holds.
    const history = await historyText(stack.client, number, { codec: testPayloadCodec });
    const kept = /\\?"signature\\?":\\?"([A-Za-z0-9+/=]{100,})/.exec(history)?.[1];
    expect(kept).toBeDefined();
    const envelope = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(Buffer.from(kept!, 'base64')).content });
    expect(envelope.certificates).toBeUndefined();
    expect(envelope.signerInfos).toHaveLength(1);
    expect(Buffer.from(kept!, 'base64').includes(Buffer.from(ALICE_SNILS))).toBe(false);
    expect(Buffer.from(signature, 'base64').includes(Buffer.from(ALICE_SNILS))).toBe(true);

    await officially(stack, igor, number, 'claim');
    await officially(stack, igor, number, 'decide', { outcome: 'approve', comment: 'Проверено' });
    const done = await eventually(stack, alice, number, 'completed');
    expect(done.result.version).toBe(basedOnVersion + 1);
  });

  it('refuses a tampered request, a certificate the authority revoked (with its date) and one of another person', async () => {
    const change = { kind: 'plate', payload: { plate: 'М005ОР78' } };
    const basedOnVersion = await passportVersion(stack, bob, HONDA);
    const bobCert = await issueOpensslHolder(issuing, { name: 'Борис', snils: '11223344596' });
    expect((await register(bob, bobCert)).statusCode).toBe(201);

    // Signed for one plate (as PEM this time), sent with another.
    const signature = await signForm(bob, HONDA, change, basedOnVersion, bobCert, 'PEM');
    const tampered = await post(stack, bob, `/vehicles/${HONDA}/changes`, { ...change, payload: { plate: 'М006ОР78' }, basedOnVersion, signature });
    expect(tampered.statusCode).toBe(422);
    expect(tampered.headers['content-type']).toContain('application/problem+json');
    expect(tampered.json().detail).toContain('changed after signing');

    // The authority revokes the certificate; its list (re-read when the file changes) says since when.
    await writeFile(crlFile, await revokeOpenssl(issuing, bobCert.certPem));
    const revoked = await post(stack, bob, `/vehicles/${HONDA}/changes`, { ...change, basedOnVersion, signature });
    expect(revoked.statusCode).toBe(422);
    expect(revoked.json().detail).toBe(`the signature was not accepted: the certificate was revoked by its authority on ${new Date().toISOString().slice(0, 10)}`);

    // A certificate registered before the account's SNILS was confirmed, naming somebody else.
    const someoneElse = await issueOpensslHolder(issuing, { name: 'Чужой', snils: '12345678964' });
    expect((await register(bob, someoneElse)).statusCode).toBe(201);
    await stack.database.db.insert(accounts).values({ id: bob.id, name: 'Борис', passwordHash: 'x', status: 'active', level: 'standard', snils: '112-233-445 96' });
    const foreign = await post(stack, bob, `/vehicles/${HONDA}/changes`, { ...change, basedOnVersion, signature: await signForm(bob, HONDA, change, basedOnVersion, someoneElse) });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json().detail).toContain('the certificate belongs to another person (SNILS differs)');
  });

  it('refuses to register a certificate of an untrusted authority', async () => {
    const rogue = await createOpensslAuthority(path.join(dir, 'rogue'), { algorithm: 'gost2012_256', name: 'Тестовый аккредитованный УЦ' });
    const cert = await issueOpensslHolder(rogue, { name: 'Алиса Смирнова', snils: ALICE_SNILS });
    const res = await post(stack, alice, '/certificates', { certificatePem: cert.certPem });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toContain('not issued by a trusted certification authority');
  });
});
