import 'reflect-metadata';
import { webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA_PSS = { name: 'RSA-PSS', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), saltLength: 32 } as const;
type Algorithm = 'ecdsa' | 'rsa-pss';
const params = (a: Algorithm) => (a === 'ecdsa' ? ECDSA : RSA_PSS);

export interface TestCa {
  pem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface TestCertificate {
  pem: string;
  serialNumber: string;
  sign(data: Buffer): Promise<Buffer>;
}

let serial = 0x1000;
const nextSerial = () => (serial++).toString(16).padStart(6, '0');
const DAY = 86_400_000;

/** A certification authority of the test's own, for certificates the verifier is told to trust. */
export async function createTestCa(name = 'Test Accredited CA'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ECDSA, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    signingAlgorithm: ECDSA,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { pem: cert.toString('pem'), cert, keys };
}

/** A holder's certificate; SNILS goes in the subject as in Russian qualified certificates. */
export async function issueTestCertificate(
  ca: TestCa,
  holder: { name: string; snils: string; algorithm?: Algorithm; validDays?: number; startsDaysAgo?: number },
): Promise<TestCertificate> {
  const alg = params(holder.algorithm ?? 'ecdsa');
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const start = Date.now() - (holder.startsDaysAgo ?? 1) * DAY;
  const serialNumber = nextSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${holder.name}, 1.2.643.100.3=${holder.snils}`,
    issuer: ca.cert.subject,
    notBefore: new Date(start),
    notAfter: new Date(start + (holder.validDays ?? 365) * DAY),
    signingAlgorithm: ECDSA,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
  });
  return {
    pem: cert.toString('pem'),
    // As node:crypto (and so the verifier) reads it.
    serialNumber: new X509Certificate(cert.toString('pem')).serialNumber,
    async sign(data) {
      return Buffer.from(await webcrypto.subtle.sign(alg, keys.privateKey, data));
    },
  };
}
