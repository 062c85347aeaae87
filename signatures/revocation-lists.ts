/**
 * The authorities' revocation lists from files and URLs (QES_CRL_FILES, QES_CRL_URLS).
 * A file is read again when it changes on disk (a cron job may replace it); a URL is
 * fetched when its list passes its next update, at most every few minutes, and a failed
 * fetch keeps the list it had.
 */
import { readFile, stat } from 'node:fs/promises';
import { readRevocationList, type RevocationList } from './certificates';

const REFETCH_MS = 5 * 60_000;
const FETCH_TIMEOUT_MS = 10_000;

export interface RevocationListSources {
  files: string[];
  urls: string[];
}

export function revocationListSource({ files, urls }: RevocationListSources): () => Promise<RevocationList[]> {
  const fromFiles = new Map<string, { mtimeMs: number; list: RevocationList }>();
  const fromUrls = new Map<string, { fetchedAt: number; list?: RevocationList }>();

  async function fileList(file: string): Promise<RevocationList> {
    const { mtimeMs } = await stat(file);
    const known = fromFiles.get(file);
    if (known?.mtimeMs === mtimeMs) return known.list;
    const list = readRevocationList(await readFile(file));
    fromFiles.set(file, { mtimeMs, list });
    return list;
  }

  async function urlList(url: string): Promise<RevocationList | undefined> {
    const known = fromUrls.get(url);
    const now = Date.now();
    const stale = !known?.list || (known.list.nextUpdate && known.list.nextUpdate.value.getTime() < now);
    if (known && (!stale || now - known.fetchedAt < REFETCH_MS)) return known.list;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const list = readRevocationList(Buffer.from(await res.arrayBuffer()));
      fromUrls.set(url, { fetchedAt: now, list });
      return list;
    } catch {
      fromUrls.set(url, { fetchedAt: now, list: known?.list });
      return known?.list;
    }
  }

  return async () => {
    const lists = await Promise.all([...files.map(fileList), ...urls.map(urlList)]);
    return lists.filter((l): l is RevocationList => Boolean(l));
  };
}
