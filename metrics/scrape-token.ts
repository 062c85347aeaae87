import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether a request may read metrics: with METRICS_TOKEN set, only a bearer of it.
 * A static secret rather than a user's token: a scraper needs no account, and the
 * secret opens nothing but metrics. Compared as digests, in constant time.
 */
export function mayScrape(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const given = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
  return timingSafeEqual(digest(given), digest(token));
}
