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

/** The development authority under `dir`, created on first use. Returns it and its PEM file. */
export async function developmentAuthority(dir: string): Promise<{ authority: Authority; caFile: string }> {
  const caFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  const [pem, key] = await Promise.all([exists(caFile), exists(keyFile)]);
  if (pem && key) return { authority: { pem, cert: new x509.X509Certificate(pem), keys: { privateKey: await importKey(key) } }, caFile };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const authority = await createAuthority('Development CA (not accredited)');
  await writeFile(keyFile, await keyPem(authority.keys.privateKey), { mode: 0o600 });
  await writeFile(caFile, authority.pem);
  return { authority, caFile };
}

/** A development holder's certificate and key under `dir`, issued on first use. */
export async function developmentHolder(dir: string, subject: string, snils: string): Promise<HolderCertificate> {
  const certFile = path.join(dir, `${subject}.pem`);
  const keyFile = path.join(dir, `${subject}.key`);
  const [pem, key] = await Promise.all([exists(certFile), exists(keyFile)]);
  if (pem && key) return holderFrom(pem, await importKey(key), 'ecdsa');
  const { authority } = await developmentAuthority(dir);
  const holder = await issueHolderCertificate(authority, { name: subject, snils });
  await writeFile(keyFile, await keyPem(holder.privateKey), { mode: 0o600 });
  await writeFile(certFile, holder.pem);
  return holder;
}
