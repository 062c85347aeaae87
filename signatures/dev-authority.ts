/**
 * A certification authority of our own, for development and tests: `npm start` trusts one
 * (kept under DATA_DIR) when no accredited authorities are configured, so signed flows
 * can be tried without a real qualified certificate; tests make theirs per run.
 * Never used in production: the configuration there names real authorities.
 */
import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { gostEngineAvailable } from './openssl';
import { createOpensslAuthority, issueOpensslHolder, openOpensslAuthority, type KeyHolder, type OpensslAuthority } from './openssl-authority';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA_PSS = { name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), saltLength: 32 } as const;
export type HolderAlgorithm = 'ecdsa' | 'rsa-pss';
const params = (a: HolderAlgorithm) => (a === 'ecdsa' ? ECDSA : RSA_PSS);
const DAY = 86_400_000;

export interface Authority {
  pem: string;
  cert: x509.X509Certificate;
  /** The authority signs with the private key only. */
  keys: { privateKey: CryptoKey; publicKey?: CryptoKey };
}

export interface HolderCertificate {
  pem: string;
  /** As node:crypto (and so the verifier) reads it. */
  serialNumber: string;
  privateKey: CryptoKey;
  algorithm: HolderAlgorithm;
  sign(data: Buffer): Promise<Buffer>;
}

const serials = { next: Date.now() };
const nextSerial = () => (serials.next++).toString(16).padStart(12, '0');

export async function createAuthority(name = 'Test Accredited CA'): Promise<Authority> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 5 * 365 * DAY),
    signingAlgorithm: ECDSA,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { pem: cert.toString('pem'), cert, keys };
}

/** A holder's certificate; SNILS goes in the subject as in Russian qualified certificates. */
export async function issueHolderCertificate(
  ca: Authority,
  holder: { name: string; snils: string; algorithm?: HolderAlgorithm; validDays?: number; startsDaysAgo?: number },
): Promise<HolderCertificate> {
  const algorithm = holder.algorithm ?? 'ecdsa';
  const keys = (await webcrypto.subtle.generateKey(params(algorithm), true, ['sign', 'verify'])) as CryptoKeyPair;
  const start = Date.now() - (holder.startsDaysAgo ?? 1) * DAY;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${holder.name}, 1.2.643.100.3=${holder.snils}`,
    issuer: ca.cert.subject,
    notBefore: new Date(start),
    notAfter: new Date(start + (holder.validDays ?? 365) * DAY),
    signingAlgorithm: ECDSA,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
  });
  return holderFrom(cert.toString('pem'), keys.privateKey, algorithm);
}

function holderFrom(pem: string, privateKey: CryptoKey, algorithm: HolderAlgorithm): HolderCertificate {
  return {
    pem,
    serialNumber: new X509Certificate(pem).serialNumber,
    privateKey,
    algorithm,
    async sign(data) {
      return Buffer.from(await webcrypto.subtle.sign(params(algorithm), privateKey, data));
    },
  };
}

// ---- kept on disk for npm start --------------------------------------------------------

const keyPem = async (key: CryptoKey) =>
  `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key)).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
const importKey = (pem: string) =>
  webcrypto.subtle.importKey('pkcs8', Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), ECDSA, true, ['sign']);
const exists = (file: string) => readFile(file, 'utf8').then(
  (text) => text,
  () => undefined,
);

/**
 * The development authorities under `dir`, created on first use: an ECDSA one, and a
 * GOST R 34.10-2012 one (openssl with the GOST engine) when the engine is installed.
 * `caFile` is the PEM bundle of both, for QES_TRUSTED_CA_FILE.
 */
export async function developmentAuthority(dir: string): Promise<{ authority: Authority; gost?: OpensslAuthority; caFile: string }> {
  const ecdsaFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'trusted.pem');
  const [pem, key] = await Promise.all([exists(ecdsaFile), exists(keyFile)]);
  let authority: Authority;
  if (pem && key) authority = { pem, cert: new x509.X509Certificate(pem), keys: { privateKey: await importKey(key) } };
  else {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    authority = await createAuthority('Development CA (not accredited)');
    await writeFile(keyFile, await keyPem(authority.keys.privateKey), { mode: 0o600 });
    await writeFile(ecdsaFile, authority.pem);
  }
  const gost = await developmentGostAuthority(dir);
  await writeFile(caFile, [authority.pem, gost?.certPem ?? ''].filter(Boolean).map((pem) => `${pem.trim()}\n`).join(''));
  return { authority, gost, caFile };
}

/** The GOST development authority under `dir/gost`, created on first use; none without the GOST engine. */
async function developmentGostAuthority(dir: string): Promise<OpensslAuthority | undefined> {
  if (!(await gostEngineAvailable())) return undefined;
  const gostDir = path.join(dir, 'gost');
  return (
    (await openOpensslAuthority(gostDir, 'gost2012_256')) ??
    createOpensslAuthority(gostDir, { algorithm: 'gost2012_256', name: 'Development GOST CA (not accredited)' })
  );
}

/** A development holder's ECDSA certificate and key under `dir`, issued on first use. */
export async function developmentHolder(dir: string, subject: string, snils: string): Promise<HolderCertificate & { keyPem: string }> {
  const certFile = path.join(dir, `${subject}.pem`);
  const keyFile = path.join(dir, `${subject}.key`);
  const [pem, key] = await Promise.all([exists(certFile), exists(keyFile)]);
  if (pem && key) return { ...holderFrom(pem, await importKey(key), 'ecdsa'), keyPem: key };
  const { authority } = await developmentAuthority(dir);
  const holder = await issueHolderCertificate(authority, { name: subject, snils });
  const keyText = await keyPem(holder.privateKey);
  await writeFile(keyFile, keyText, { mode: 0o600 });
  await writeFile(certFile, holder.pem);
  return { ...holder, keyPem: keyText };
}

/** A development holder's GOST R 34.10-2012 (256) certificate and key under `dir`, issued on first use by the GOST authority. */
export async function developmentGostHolder(dir: string, subject: string, snils: string): Promise<KeyHolder> {
  const certFile = path.join(dir, `${subject}.gost.pem`);
  const keyFile = path.join(dir, `${subject}.gost.key`);
  const [certPem, keyPemText] = await Promise.all([exists(certFile), exists(keyFile)]);
  if (certPem && keyPemText) return { algorithm: 'gost2012_256', certPem, keyPem: keyPemText };
  const { gost } = await developmentAuthority(dir);
  if (!gost) throw new Error('GOST certificates need the OpenSSL GOST engine: apt-get install -y libengine-gost-openssl (see README, "GOST signatures")');
  const holder = await issueOpensslHolder(gost, { name: subject, snils, algorithm: 'gost2012_256' });
  await writeFile(keyFile, holder.keyPem, { mode: 0o600 });
  await writeFile(certFile, holder.certPem);
  return holder;
}
