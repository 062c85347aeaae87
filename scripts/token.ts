/**
 * Mints a development bearer token signed with the configured secret, on stdout alone
 * so that `TOKEN=$(npm run -s token -- citizen alice)` works.
 *
 *   npm run -s token -- <role> <subject> [--agency X] [--supervisor] [--level L] [--ttl 12h]
 */
import { parseArgs } from 'node:util';
import { mintToken } from '../accounts/tokens';
import { ConfigError, loadConfig } from '../config';
import { ACCOUNT_LEVELS, ROLES, type AccountLevel, type Role } from '../core/case-model';

const USAGE =
  `usage: npm run -s token -- <${ROLES.join('|')}> <subject> [--agency X] [--supervisor] ` +
  `[--level ${ACCOUNT_LEVELS.join('|')}] [--ttl 12h]`;

/** Roles that act for an agency; appeal experts act for none. */
const AGENCY_ROLES: readonly Role[] = ['reviewer'];
/** Officials, who may be supervisors. */
const OFFICIAL_ROLES: readonly Role[] = ['reviewer', 'expert'];

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        agency: { type: 'string' },
        supervisor: { type: 'boolean', default: false },
        level: { type: 'string' },
        ttl: { type: 'string', default: '12h' },
      },
    });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

const { values, positionals } = parse();
const [role, subject, ...extra] = positionals;
if (!role) fail('a role is required');
if (!ROLES.includes(role as Role)) fail(`unknown role "${role}": one of ${ROLES.join(', ')}`);
if (!subject) fail('a subject (the user id) is required');
if (!/^[\w.@-]{1,100}$/.test(subject)) fail('the subject is 1-100 letters, digits, and . @ _ -');
if (extra.length) fail(`unexpected arguments: ${extra.join(' ')}`);
const agencyRole = AGENCY_ROLES.includes(role as Role);
if (agencyRole && !values.agency) fail(`a ${role} acts for an agency: add --agency (e.g. --agency mvd)`);
if (values.agency !== undefined && !/^[a-z0-9-]{1,50}$/.test(values.agency)) fail('--agency is a code like mvd or fns');
if (values.agency !== undefined && !agencyRole) fail(`--agency is for ${AGENCY_ROLES.join(' and ')} tokens`);
if (values.supervisor && !OFFICIAL_ROLES.includes(role as Role)) fail(`--supervisor is for ${OFFICIAL_ROLES.join(' and ')} tokens`);
if (values.level !== undefined && role !== 'citizen') fail('--level is for citizen tokens');
if (values.level !== undefined && !ACCOUNT_LEVELS.includes(values.level as AccountLevel)) {
  fail(`unknown level "${values.level}": one of ${ACCOUNT_LEVELS.join(', ')}`);
}
if (!/^[1-9]\d*[smhd]$/.test(values.ttl!)) fail('--ttl looks like 30m, 12h or 7d');

let auth;
try {
  auth = loadConfig().auth;
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}
if (!auth.jwtSecret) fail('tokens are minted with AUTH_JWT_SECRET, which is not set (OIDC_ISSUER without it: your identity provider issues them)');

const token = await mintToken(
  auth,
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
