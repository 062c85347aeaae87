import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOST_UNAVAILABLE } from '../signatures/openssl';
import { cmsSign, createOpensslAuthority, issueOpensslHolder, type KeyHolder, type OpensslAuthority } from '../signatures/openssl-authority';
import { createTrust } from '../signatures/trust';
import { createX509Verifier } from '../signatures/verifier';

// Its own file: whether the engine is there is asked once per process (per test file here).
describe('a server without the OpenSSL GOST engine', () => {
  let dir: string;
  let root: OpensslAuthority;
  let holder: KeyHolder;
  const data = Buffer.from('signed form');
  const path0 = process.env.PATH;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gost-missing-'));
    root = await createOpensslAuthority(path.join(dir, 'root'), { algorithm: 'gost2012_256', name: 'Test GOST Root' });
    holder = await issueOpensslHolder(root, { name: 'Иван Петров', snils: '11223344595' });
  });
  afterAll(async () => {
    process.env.PATH = path0;
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a GOST signature with the reason, not an error', async () => {
    const signature = await cmsSign(holder, data);
    // No openssl on the PATH from here on: the engine is not found.
    process.env.PATH = path.join(dir, 'no-such-bin');
    const verifier = createX509Verifier(createTrust({ trustedCaPems: [root.certPem] }));
    expect(await verifier.verify({ data, signature })).toEqual({ ok: false, reason: GOST_UNAVAILABLE });
  });
});
