/**
 * Mints a development bearer token signed with the configured secret.
 *
 *   npm run -s token -- <role> <subject> [--agency X] [--supervisor] [--level L] [--ttl 12h]
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../api/auth';
import { loadConfig } from '../config';
import { ACCOUNT_LEVELS, ROLES, type AccountLevel, type Role } from '../core/case-model';

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: npm run -s token -- <${ROLES.join('|')}> <subject> [--agency X] [--supervisor] [--level ${ACCOUNT_LEVELS.join('|')}] [--ttl 12h]\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    agency: { type: 'string' },
    supervisor: { type: 'boolean', default: false },
    level: { type: 'string' },
    ttl: { type: 'string', default: '12h' },
  },
});
const [role, subject] = positionals;
if (!role || !ROLES.includes(role as Role)) fail(`role must be one of ${ROLES.join(', ')}`);
if (!subject || !/^[\w.@-]{1,100}$/.test(subject)) fail('subject must be 1-100 letters, digits, . @ _ -');
if (values.level && !ACCOUNT_LEVELS.includes(values.level as AccountLevel)) fail(`level must be one of ${ACCOUNT_LEVELS.join(', ')}`);
if ((role === 'reviewer' || role === 'expert') && !values.agency) fail(`a ${role} needs --agency`);
if (!/^\d+[smhd]$/.test(values.ttl!)) fail('ttl looks like 30m, 12h or 7d');

const token = await mintToken(
  loadConfig().auth,
  {
    id: subject,
    role: role as Role,
    agency: values.agency,
    supervisor: values.supervisor,
    level: role === 'citizen' ? ((values.level as AccountLevel | undefined) ?? 'standard') : undefined,
  },
  values.ttl,
);
process.stdout.write(`${token}\n`);
