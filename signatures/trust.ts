/**
 * What trusting a certificate means: a chain to an accredited authority, every link valid
 * at the time that matters, none revoked by the revocation lists at hand.
 */
import { AlgorithmUnavailable } from './algorithms';
import { isAuthority, nameText, readCertificate, serialOf, signedBy, validAt, type Certificate, type RevocationList } from './certificates';

const MAX_DEPTH = 6;
const day = (d: Date) => d.toISOString().slice(0, 10);

export const UNTRUSTED = 'the certificate is not issued by a trusted certification authority';

export interface TrustOptions {
  /** Accredited authorities, PEM: roots, or intermediates the operator trusts as they are. */
  trustedCaPems: string[];
  /** The revocation lists of the authorities, current at each call (QES_CRL_FILES, QES_CRL_URLS). */
  revocationLists?: () => Promise<RevocationList[]>;
  /** Serials revoked by configuration (QES_REVOKED_SERIALS), upper-case hex as node:crypto prints them. */
  isRevoked?: (serialNumber: string) => Promise<boolean>;
}

export type ChainCheck = { ok: true; chain: Certificate[] } | { ok: false; reason: string };

export interface CertificateTrust {
  /**
   * Builds the chain from `cert` to a trusted authority through `intermediates` (a
   * signature's envelope), checks every link is valid `at` (the signing time) and that no
   * revocation list, configured or carried in the envelope, revokes it.
   */
  check(cert: Certificate, opts: { at: Date; intermediates?: Certificate[]; revocationLists?: RevocationList[] }): Promise<ChainCheck>;
}

export function createTrust(opts: TrustOptions): CertificateTrust {
  const anchors = opts.trustedCaPems.map((pem) => readCertificate(pem));

  async function issuerOf(cert: Certificate, candidates: Certificate[]): Promise<Certificate | undefined> {
    for (const c of candidates) if (await signedBy(cert, c)) return c;
    return undefined;
  }

  async function revocation(cert: Certificate, issuer: Certificate, lists: RevocationList[]): Promise<Date | 'listed' | null> {
    const serial = serialOf(cert.serialNumber);
    if (await opts.isRevoked?.(serial)) return 'listed';
    for (const list of lists) {
      const entry = list.revokedCertificates?.find((r) => serialOf(r.userCertificate) === serial);
      // Only a list its issuer signed counts; the signature is checked only when it would matter.
      if (entry && (await signedBy(list, issuer))) return entry.revocationDate.value;
    }
    return null;
  }

  return {
    async check(cert, { at, intermediates = [], revocationLists = [] }) {
      try {
        const chain = [cert];
        let anchored = false;
        for (let depth = 0; depth < MAX_DEPTH && !anchored; depth++) {
          const current = chain[chain.length - 1]!;
          const anchor = await issuerOf(current, anchors);
          const next = anchor ?? (await issuerOf(current, intermediates.filter((i) => isAuthority(i) && !chain.includes(i))));
          if (!next) return { ok: false, reason: UNTRUSTED };
          chain.push(next);
          anchored = Boolean(anchor);
        }
        if (!anchored) return { ok: false, reason: UNTRUSTED };
        for (const [i, link] of chain.entries()) {
          const whose = i === 0 ? 'the certificate' : `the certificate of the authority "${nameText(link.subject)}"`;
          if (at < link.notBefore.value) return { ok: false, reason: `${whose} is valid only from ${day(link.notBefore.value)}` };
          if (!validAt(link, at)) return { ok: false, reason: `${whose} expired on ${day(link.notAfter.value)}` };
        }
        const lists = [...((await opts.revocationLists?.()) ?? []), ...revocationLists];
        for (const [i, link] of chain.slice(0, -1).entries()) {
          const revoked = await revocation(link, chain[i + 1]!, lists);
          const whose = i === 0 ? 'the certificate' : `the certificate of the authority "${nameText(link.subject)}"`;
          if (revoked === 'listed') return { ok: false, reason: `${whose} is revoked` };
          if (revoked) return { ok: false, reason: `${whose} was revoked by its authority on ${day(revoked)}` };
        }
        return { ok: true, chain };
      } catch (err) {
        if (err instanceof AlgorithmUnavailable) return { ok: false, reason: err.message };
        throw err;
      }
    },
  };
}
