import { createHash, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificate, readRevocationList, type RevocationList } from '../signatures/certificates';
import {
  cmsSign,
  createOpensslAuthority,
  issueOpensslHolder,
  revokeOpenssl,
  type KeyAlgorithm,
  type KeyHolder,
  type OpensslAuthority,
} from '../signatures/openssl-authority';
import { createTrust, UNTRUSTED } from '../signatures/trust';
import { CONTENT_MISMATCH, createX509Verifier, SIGNATURE_MISMATCH } from '../signatures/verifier';

const DAY = 86_400_000;
const data = Buffer.from('{"kind":"plate","payload":{"plate":"А123ВС77"}}');
const SNILS = '11223344595';
const OTHER_SNILS = '12345678964';

/** The envelope of `signed` made to claim `cert` as its signer: a signature by a key not in the certificate. */
function forge(signed: Buffer, cert: KeyHolder): Buffer {
  const info = pkijs.ContentInfo.fromBER(signed);
  const sd = new pkijs.SignedData({ schema: info.content });
  const claimed = readCertificate(cert.certPem);
  sd.certificates = [claimed, ...(sd.certificates ?? []).slice(1)];
  sd.signerInfos[0]!.sid = new pkijs.IssuerAndSerialNumber({ issuer: claimed.issuer, serialNumber: claimed.serialNumber });
  return Buffer.from(new pkijs.ContentInfo({ contentType: info.contentType, content: sd.toSchema(true) }).toSchema().toBER());
}

/**
 * A detached CMS signature with Ed25519 (RFC 8419: SHA-512 message digest, pure EdDSA over
 * the signed attributes), assembled with pkijs and signed with node:crypto: OpenSSL 3.0's
 * `cms -sign` refuses Ed25519 with signed attributes, and pkijs cannot sign with it.
 */
function ed25519Cms(signer: KeyHolder, content: Buffer, chain: string[], key = createPrivateKey(signer.keyPem)): Buffer {
  const cert = readCertificate(signer.certPem);
  const attributes = [
    new pkijs.Attribute({ type: '1.2.840.113549.1.9.3', values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })] }),
    new pkijs.Attribute({ type: '1.2.840.113549.1.9.5', values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
    new pkijs.Attribute({ type: '1.2.840.113549.1.9.4', values: [new asn1js.OctetString({ valueHex: createHash('sha512').update(content).digest() })] }),
  ];
  const signedAttrs = new asn1js.Set({ value: attributes.map((a) => a.toSchema()) }).toBER();
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.3' }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.101.112' }),
    signature: new asn1js.OctetString({ valueHex: sign(null, Buffer.from(signedAttrs), key) }),
  });
  const sd = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [signerInfo.digestAlgorithm],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    certificates: [cert, ...chain.map((pem) => readCertificate(pem))],
    signerInfos: [signerInfo],
  });
  return Buffer.from(new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) }).toSchema().toBER());
}

describe('CMS signatures, ed25519', () => {
  let dir: string;
  let root: OpensslAuthority;
  let intermediate: OpensslAuthority;
  let holder: KeyHolder;
  const verifier = () => createX509Verifier(createTrust({ trustedCaPems: [root.certPem] }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cms-ed25519-'));
    root = await createOpensslAuthority(path.join(dir, 'root'), { algorithm: 'ed25519', name: 'Test Root ed25519' });
    intermediate = await createOpensslAuthority(path.join(dir, 'intermediate'), { algorithm: 'ed25519', name: 'Test Issuing CA ed25519', issuer: root });
    holder = await issueOpensslHolder(intermediate, { name: 'Иван Петров', snils: SNILS });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('accepts a valid one, refuses tampered content and a signature by another key', async () => {
    const signature = ed25519Cms(holder, data, intermediate.intermediates);
    expect(await verifier().verify({ data, signature, holder: { snils: SNILS } })).toMatchObject({ ok: true, snils: SNILS });
    expect(await verifier().verify({ data: Buffer.from('other'), signature })).toEqual({ ok: false, reason: CONTENT_MISMATCH });
    const forged = ed25519Cms(holder, data, intermediate.intermediates, generateKeyPairSync('ed25519').privateKey);
    expect(await verifier().verify({ data, signature: forged })).toEqual({ ok: false, reason: SIGNATURE_MISMATCH });
  });
});

describe.each<KeyAlgorithm>(['ecdsa', 'rsa', 'gost2012_256', 'gost2012_512'])('CMS / CAdES-BES signatures, %s', (algorithm) => {
  let dir: string;
  let root: OpensslAuthority;
  let intermediate: OpensslAuthority;
  let holder: KeyHolder;
  let lists: RevocationList[] = [];
  const verifier = () => createX509Verifier(createTrust({ trustedCaPems: [root.certPem], revocationLists: async () => lists }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cms-test-'));
    root = await createOpensslAuthority(path.join(dir, 'root'), { algorithm, name: `Test Root ${algorithm}` });
    intermediate = await createOpensslAuthority(path.join(dir, 'intermediate'), { algorithm, name: `Test Issuing CA ${algorithm}`, issuer: root });
    holder = await issueOpensslHolder(intermediate, { name: 'Иван Петров', snils: SNILS, inn: '770123456789' });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('accepts a valid signature (DER and PEM) chained through the envelope’s intermediate, and reads the holder', async () => {
    const signature = await cmsSign(holder, data, { chain: intermediate.intermediates });
    const result = await verifier().verify({ data, signature, holder: { snils: SNILS } });
    expect(result).toMatchObject({ ok: true, format: 'cms', snils: SNILS, holder: { snils: SNILS, inn: '770123456789', innle: null } });
    if (!result.ok) return;
    expect(Math.abs(result.signedAt!.getTime() - Date.now())).toBeLessThan(60_000);
    // The evidence keeps the signature but not the certificates that name the holder.
    expect(result.evidence.includes(Buffer.from(SNILS))).toBe(false);
    expect(signature.includes(Buffer.from(SNILS))).toBe(true);
    const pem = await cmsSign(holder, data, { chain: intermediate.intermediates, outform: 'PEM' });
    expect(await verifier().verify({ data, signature: pem })).toMatchObject({ ok: true, serialNumber: result.serialNumber });
  });

  it('checks a signature whose envelope lacks the signer’s certificate with the registered one', async () => {
    const signature = await cmsSign(holder, data, { chain: intermediate.intermediates });
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(signature).content });
    sd.certificates = sd.certificates!.filter((c) => c instanceof pkijs.Certificate && !c.subject.isEqual(readCertificate(holder.certPem).subject));
    const bare = Buffer.from(new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) }).toSchema().toBER());
    expect(await verifier().verify({ data, signature: bare })).toMatchObject({ ok: false, reason: expect.stringContaining('carries no certificate') });
    expect(await verifier().verify({ data, signature: bare, certificatePem: holder.certPem })).toMatchObject({ ok: true });
  });

  it('refuses a forgery: a signature by a key that is not the certificate’s', async () => {
    const impostor = await issueOpensslHolder(intermediate, { name: 'Злоумышленник', snils: OTHER_SNILS });
    const forged = forge(await cmsSign(impostor, data, { chain: intermediate.intermediates }), holder);
    expect(await verifier().verify({ data, signature: forged })).toEqual({ ok: false, reason: SIGNATURE_MISMATCH });
  });

  it('refuses tampered content', async () => {
    const signature = await cmsSign(holder, data, { chain: intermediate.intermediates });
    const tampered = Buffer.from(data.toString().replace('А123ВС77', 'А123ВС78'));
    expect(await verifier().verify({ data: tampered, signature })).toEqual({ ok: false, reason: CONTENT_MISMATCH });
  });

  it('refuses a certificate expired at the signing time', async () => {
    const expired = await issueOpensslHolder(intermediate, {
      name: 'Иван Петров',
      snils: SNILS,
      validity: { notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 35 * DAY) },
    });
    const signature = await cmsSign(expired, data, { chain: intermediate.intermediates });
    const expiredOn = new Date(Date.now() - 35 * DAY).toISOString().slice(0, 10);
    expect(await verifier().verify({ data, signature })).toEqual({ ok: false, reason: `the certificate expired on ${expiredOn}` });
  });

  it('refuses a certificate its authority revoked, naming the date', async () => {
    const revoked = await issueOpensslHolder(intermediate, { name: 'Иван Петров', snils: SNILS });
    const signature = await cmsSign(revoked, data, { chain: intermediate.intermediates });
    expect(await verifier().verify({ data, signature })).toMatchObject({ ok: true });
    lists = [readRevocationList(Buffer.from(await revokeOpenssl(intermediate, revoked.certPem)))];
    const today = new Date().toISOString().slice(0, 10);
    expect(await verifier().verify({ data, signature })).toEqual({ ok: false, reason: `the certificate was revoked by its authority on ${today}` });
    // The holder's own certificate, not on the list, still passes.
    expect(await verifier().verify({ data, signature: await cmsSign(holder, data, { chain: intermediate.intermediates }) })).toMatchObject({ ok: true });
  });

  it('refuses the certificate of another person', async () => {
    const signature = await cmsSign(holder, data, { chain: intermediate.intermediates });
    expect(await verifier().verify({ data, signature, holder: { snils: OTHER_SNILS } })).toEqual({
      ok: false,
      reason: 'the certificate belongs to another person (SNILS differs)',
    });
  });

  it('refuses a certificate of an untrusted root, and one whose envelope lacks the intermediate', async () => {
    const rogueRoot = await createOpensslAuthority(path.join(dir, 'rogue'), { algorithm, name: `Test Root ${algorithm}` });
    const rogue = await issueOpensslHolder(rogueRoot, { name: 'Иван Петров', snils: SNILS });
    expect(await verifier().verify({ data, signature: await cmsSign(rogue, data) })).toEqual({ ok: false, reason: UNTRUSTED });
    expect(await verifier().verify({ data, signature: await cmsSign(holder, data) })).toEqual({ ok: false, reason: UNTRUSTED });
  });
});
