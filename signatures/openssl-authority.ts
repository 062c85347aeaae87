/**
 * A certification authority run with the system `openssl` (`openssl ca`), for development
 * and tests: roots, intermediates, holders' certificates with SNILS and INN in the subject
 * as Russian qualified certificates carry them, revocation lists, and CMS signatures made
 * as a citizen's signing tool makes them (`openssl cms -sign -binary`). GOST R 34.10-2012
 * keys need the GOST engine (see README, "GOST signatures").
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { opensslOk, runOpenssl } from './openssl';

export type KeyAlgorithm = 'ecdsa' | 'rsa' | 'ed25519' | 'gost2012_256' | 'gost2012_512';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa', 'rsa', 'ed25519', 'gost2012_256', 'gost2012_512'];

const KEYGEN: Record<KeyAlgorithm, string[]> = {
  ecdsa: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ED25519'],
  gost2012_256: ['-algorithm', 'gost2012_256', '-pkeyopt', 'paramset:A'],
  gost2012_512: ['-algorithm', 'gost2012_512', '-pkeyopt', 'paramset:A'],
};
/** The digest each algorithm signs with; Ed25519 takes none. */
const DIGEST: Record<KeyAlgorithm, string | null> = { ecdsa: 'sha256', rsa: 'sha256', ed25519: null, gost2012_256: 'md_gost12_256', gost2012_512: 'md_gost12_512' };

const isGost = (a: KeyAlgorithm) => a.startsWith('gost');
const engine = (a: KeyAlgorithm) => (isGost(a) ? ['-engine', 'gost'] : []);

export interface KeyHolder {
  algorithm: KeyAlgorithm;
  certPem: string;
  keyPem: string;
}

export interface OpensslAuthority extends KeyHolder {
  /** The directory of its key, certificate and `openssl ca` database. */
  dir: string;
  /** This authority's certificate and its issuers' up to the root (not included), for envelopes. */
  intermediates: string[];
}

export interface HolderSubject {
  name: string;
  snils?: string;
  inn?: string;
  innle?: string;
}

export interface Validity {
  /** Defaults: from a day ago, for a year. */
  notBefore?: Date;
  notAfter?: Date;
}

const DAY = 86_400_000;
const caTime = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
/** `-subj` text; the values never hold `/`, `+` or `=` (names and digits). */
const subj = (s: HolderSubject) =>
  `/CN=${s.name.replace(/[/+=\\]/g, ' ')}` + (s.snils ? `/SNILS=${s.snils}` : '') + (s.inn ? `/INN=${s.inn}` : '') + (s.innle ? `/INNLE=${s.innle}` : '');

async function keyFor(algorithm: KeyAlgorithm): Promise<string> {
  const run = await opensslOk(['genpkey', ...engine(algorithm), ...KEYGEN[algorithm], '-out', '{key.pem}'], {}, ['key.pem']);
  return run.read['key.pem']!.toString('utf8');
}

function caConfig(a: KeyAlgorithm): string {
  return [
    '[ca]',
    'default_ca = here',
    '[here]',
    'database = index.txt',
    'serial = serial',
    'crlnumber = crlnumber',
    'new_certs_dir = issued',
    'certificate = ca.pem',
    'private_key = ca.key',
    'policy = any',
    'email_in_dn = no',
    'unique_subject = no',
    'copy_extensions = none',
    'default_crl_days = 30',
    `default_md = ${DIGEST[a] ?? 'default'}`,
    '[any]',
    'commonName = supplied',
    '[holder]',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature,nonRepudiation',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    '[authority]',
    'basicConstraints = critical,CA:TRUE',
    'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
    '',
  ].join('\n');
}

async function prepareDir(dir: string, algorithm: KeyAlgorithm, keyPem: string, certPem: string): Promise<void> {
  await mkdir(path.join(dir, 'issued'), { recursive: true, mode: 0o700 });
  await writeFile(path.join(dir, 'ca.key'), keyPem, { mode: 0o600 });
  await writeFile(path.join(dir, 'ca.pem'), certPem);
  await writeFile(path.join(dir, 'ca.cnf'), caConfig(algorithm));
  await writeFile(path.join(dir, 'index.txt'), '');
  await writeFile(path.join(dir, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  await writeFile(path.join(dir, 'crlnumber'), '1000\n');
}

async function ca(authority: { dir: string; algorithm: KeyAlgorithm }, args: string[]): Promise<void> {
  const run = await runOpenssl(['ca', ...engine(authority.algorithm), '-batch', '-config', 'ca.cnf', ...args], authority.dir);
  if (run.code !== 0) throw new Error(`openssl ca failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

/** Has `issuer` sign a request for `subject` with `extensions`; returns the certificate PEM. */
async function sign(issuer: OpensslAuthority, keyPem: string, algorithm: KeyAlgorithm, subject: HolderSubject, extensions: 'holder' | 'authority', validity: Validity): Promise<string> {
  const csr = await opensslOk(
    ['req', ...engine(algorithm), '-new', '-utf8', '-key', '{key.pem}', '-subj', subj(subject), '-out', '{req.pem}'],
    { 'key.pem': keyPem },
    ['req.pem'],
  );
  const name = `req-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await writeFile(path.join(issuer.dir, `${name}.csr`), csr.read['req.pem']!);
  const notBefore = validity.notBefore ?? new Date(Date.now() - DAY);
  const notAfter = validity.notAfter ?? new Date(notBefore.getTime() + 365 * DAY);
  await ca(issuer, ['-in', `${name}.csr`, '-out', `${name}.pem`, '-notext', '-utf8', '-preserveDN', '-extensions', extensions, '-startdate', caTime(notBefore), '-enddate', caTime(notAfter)]);
  return readFile(path.join(issuer.dir, `${name}.pem`), 'utf8');
}

/** A root authority in `dir`, or an intermediate one when `issuer` is given. */
export async function createOpensslAuthority(
  dir: string,
  opts: { algorithm: KeyAlgorithm; name: string; issuer?: OpensslAuthority; validity?: Validity },
): Promise<OpensslAuthority> {
  const keyPem = await keyFor(opts.algorithm);
  let certPem: string;
  if (opts.issuer) {
    certPem = await sign(opts.issuer, keyPem, opts.algorithm, { name: opts.name }, 'authority', { notAfter: new Date(Date.now() + 5 * 365 * DAY), ...opts.validity });
  } else {
    const md = DIGEST[opts.algorithm];
    const run = await opensslOk(
      [
        'req', ...engine(opts.algorithm), '-new', '-x509', '-utf8', '-key', '{key.pem}', '-subj', subj({ name: opts.name }), '-days', '3650',
        ...(md ? [`-${md}`] : []),
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', '{ca.pem}',
      ],
      { 'key.pem': keyPem },
      ['ca.pem'],
    );
    certPem = run.read['ca.pem']!.toString('utf8');
  }
  await prepareDir(dir, opts.algorithm, keyPem, certPem);
  return { dir, algorithm: opts.algorithm, keyPem, certPem, intermediates: opts.issuer ? [certPem, ...opts.issuer.intermediates] : [] };
}

/** An authority already in `dir` (made by createOpensslAuthority). */
export async function openOpensslAuthority(dir: string, algorithm: KeyAlgorithm): Promise<OpensslAuthority | undefined> {
  const [keyPem, certPem] = await Promise.all([readFile(path.join(dir, 'ca.key'), 'utf8'), readFile(path.join(dir, 'ca.pem'), 'utf8')]).catch(() => []);
  return keyPem && certPem ? { dir, algorithm, keyPem, certPem, intermediates: [] } : undefined;
}

/** A holder's key and certificate issued by `issuer`. */
export async function issueOpensslHolder(issuer: OpensslAuthority, holder: HolderSubject & { algorithm?: KeyAlgorithm; validity?: Validity }): Promise<KeyHolder> {
  const algorithm = holder.algorithm ?? issuer.algorithm;
  const keyPem = await keyFor(algorithm);
  return { algorithm, keyPem, certPem: await sign(issuer, keyPem, algorithm, holder, 'holder', holder.validity ?? {}) };
}

/** Revokes a certificate `issuer` issued (today, as `openssl ca` records it) and returns the new revocation list (PEM). */
export async function revokeOpenssl(issuer: OpensslAuthority, certPem: string): Promise<string> {
  const name = `revoke-${Date.now()}-${Math.random().toString(36).slice(2)}.pem`;
  await writeFile(path.join(issuer.dir, name), certPem);
  await ca(issuer, ['-revoke', name, '-crl_reason', 'keyCompromise']);
  return revocationListOf(issuer);
}

/** The authority's current revocation list, PEM. */
export async function revocationListOf(issuer: OpensslAuthority): Promise<string> {
  await ca(issuer, ['-gencrl', '-out', 'crl.pem']);
  return readFile(path.join(issuer.dir, 'crl.pem'), 'utf8');
}

/**
 * A detached CMS signature (CAdES-BES: signing time and message digest signed) of `data`,
 * the signer's certificate and `chain` in the envelope, as `openssl cms -sign -binary` makes it.
 */
export async function cmsSign(signer: KeyHolder, data: Buffer, opts: { chain?: string[]; outform?: 'DER' | 'PEM' } = {}): Promise<Buffer> {
  // RFC 8419: Ed25519 in CMS digests the content with SHA-512.
  const md = DIGEST[signer.algorithm] ?? 'sha512';
  const run = await opensslOk(
    [
      'cms', ...engine(signer.algorithm), '-sign', '-binary', '-in', '{data}', '-signer', '{cert.pem}', '-inkey', '{key.pem}',
      ...(opts.chain?.length ? ['-certfile', '{chain.pem}'] : []),
      '-md', md,
      '-outform', opts.outform ?? 'DER', '-out', '{sig}',
    ],
    { data, 'cert.pem': signer.certPem, 'key.pem': signer.keyPem, 'chain.pem': (opts.chain ?? []).join('') },
    ['sig'],
  );
  return run.read.sig!;
}
