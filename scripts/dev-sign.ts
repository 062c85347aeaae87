/**
 * Development signing with the development certification authority that `npm start`
 * trusts when no accredited authority is configured. Keys and certificates live in
 * DATA_DIR/dev-ca; the first use of a subject issues its certificate.
 *
 *   npm run -s dev-sign -- cert <subject> [--snils 11223344595]   the subject's certificate (PEM)
 *   npm run -s dev-sign -- sign <subject> <base64>                 a detached signature (base64) of the bytes
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { developmentHolder } from '../signatures/dev-authority';

const USAGE = 'usage: npm run -s dev-sign -- cert <subject> [--snils N] | sign <subject> <base64>';
const { values, positionals } = parseArgs({ allowPositionals: true, options: { snils: { type: 'string', default: '11223344595' } } });
const [command, subject, data] = positionals;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const config = loadConfig();
if (config.env === 'production') fail('the development authority is not for production');
if (!subject || !/^[\w.@-]{1,100}$/.test(subject)) fail('a subject (the user id) is required');
if (!/^\d{11}$/.test(values.snils!)) fail('--snils is 11 digits');
const holder = await developmentHolder(path.join(config.dataDir, 'dev-ca'), subject, values.snils!);
if (command === 'cert') process.stdout.write(holder.pem);
else if (command === 'sign') {
  if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) fail('sign takes the bytes to sign as base64 (the signing form\'s "base64")');
  process.stdout.write(`${(await holder.sign(Buffer.from(data, 'base64'))).toString('base64')}\n`);
} else fail(`unknown command ${command ?? ''}`);
