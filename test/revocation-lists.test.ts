import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificate, serialOf } from '../signatures/certificates';
import { createOpensslAuthority, issueOpensslHolder, revocationListOf, revokeOpenssl, type KeyHolder, type OpensslAuthority } from '../signatures/openssl-authority';
import { revocationListSource } from '../signatures/revocation-lists';

const revokedSerials = async (source: ReturnType<typeof revocationListSource>) =>
  (await source()).flatMap((list) => (list.revokedCertificates ?? []).map((r) => serialOf(r.userCertificate)));

describe('revocation lists from files and URLs', () => {
  let dir: string;
  let ca: OpensslAuthority;
  let holder: KeyHolder;
  let serial: string;
  let served: string | null = null;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'crl-test-'));
    ca = await createOpensslAuthority(path.join(dir, 'ca'), { algorithm: 'ecdsa', name: 'Test CRL CA' });
    holder = await issueOpensslHolder(ca, { name: 'Иван Петров', snils: '11223344595' });
    serial = serialOf(readCertificate(holder.certPem).serialNumber);
    server = createServer((_, res) => {
      if (served === null) res.writeHead(503).end();
      else res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(served);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ca.crl`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file again when it changes', async () => {
    const file = path.join(dir, 'ca.crl');
    await writeFile(file, await revocationListOf(ca));
    const source = revocationListSource({ files: [file], urls: [] });
    expect(await revokedSerials(source)).toEqual([]);
    await writeFile(file, await revokeOpenssl(ca, holder.certPem));
    // A replaced file has a new modification time (set explicitly: the two writes may share a clock tick).
    await utimes(file, new Date(), new Date(Date.now() + 1000));
    expect(await revokedSerials(source)).toEqual([serial]);
  });

  it('fetches a URL (nothing while it fails) and keeps its list until the list’s next update', async () => {
    const source = revocationListSource({ files: [], urls: [url] });
    expect(await source()).toEqual([]);
    const other = await issueOpensslHolder(ca, { name: 'Пётр Иванов', snils: '12345678964' });
    served = await revokeOpenssl(ca, other.certPem);
    // Until its next update (30 days) the list is not fetched again; a new source fetches it.
    const fresh = revocationListSource({ files: [], urls: [url] });
    expect(await revokedSerials(fresh)).toContain(serialOf(readCertificate(other.certPem).serialNumber));
    // The URL fails now; the list is current for 30 more days, so it is kept without asking.
    served = null;
    expect(await revokedSerials(fresh)).toContain(serialOf(readCertificate(other.certPem).serialNumber));
  });
});
