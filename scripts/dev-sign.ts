/**
 * Development signing with the development certification authorities that `npm start`
 * trusts when no accredited authority is configured. Keys and certificates live in
 * DATA_DIR/dev-ca; the first use of a subject issues its certificate.
 *
 *   npm run -s dev-sign -- cert <subject> [--gost] [--snils 11223344595]   the subject's certificate (PEM)
 *   npm run -s dev-sign -- cms <subject> <base64> [--gost] [--pem]          a detached CMS / CAdES-BES signature (base64) of the bytes,
 *                                                                        made by `openssl cms -sign -binary` as a signing tool makes it
 *   npm run -s dev-sign -- sign <subject> <base64>                          a raw detached ECDSA signature (base64) of the bytes
 *
 * --gost: the subject's GOST R 34.10-2012 certificate (needs the OpenSSL GOST engine).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { developmentGostHolder, developmentHolder } from '../signatures/dev-authority';
import { cmsSign, type KeyHolder } from '../signatures/openssl-authority';

const USAGE = 'usage: npm run -s dev-sign -- cert <subject> [--gost] [--snils N] | cms <subject> <base64> [--gost] [--pem] | sign <subject> <base64>';
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { snils: { type: 'string', default: '11223344595' }, gost: { type: 'boolean', default: false }, pem: { type: 'boolean', default: false } },
});
const [command, subject, data] = positionals;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const config = loadConfig();
if (config.env === 'production') fail('the development authority is not for production');
if (!subject || !/^[\w.@-]{1,100}$/.test(subject)) fail('a subject (the user id) is required');
if (!/^\d{11}$/.test(values.snils!)) fail('--snils is 11 digits');
const dir = path.join(config.dataDir, 'dev-ca');

async function keyHolder(): Promise<KeyHolder> {
  if (values.gost) return developmentGostHolder(dir, subject!, values.snils!);
  const holder = await developmentHolder(dir, subject!, values.snils!);
  return { algorithm: 'ecdsa', certPem: holder.pem, keyPem: holder.keyPem };
}

function bytes(): Buffer {
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) fail('the bytes to sign are base64 (the signing form\'s "base64")');
  return Buffer.from(data, 'base64');
}

if (command === 'cert') process.stdout.write((await keyHolder()).certPem);
else if (command === 'cms') {
  const signature = await cmsSign(await keyHolder(), bytes(), { outform: values.pem ? 'PEM' : 'DER' });
  process.stdout.write(`${signature.toString('base64')}\n`);
} else if (command === 'sign') {
  if (values.gost) fail('GOST signatures are made as CMS: use cms --gost');
  const holder = await developmentHolder(dir, subject, values.snils!);
  process.stdout.write(`${(await holder.sign(bytes())).toString('base64')}\n`);
} else fail(`unknown command ${command ?? ''}`);
