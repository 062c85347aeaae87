/**
 * Who reads which inbox rows. A notification's recipient is a subject id (a citizen, an
 * official) or a role address: a team (`agency:<code>`, `appeals`: the desk of appeal
 * experts) or that team's supervisor (`agency:<code>:supervisor`, `appeals:supervisor`).
 */
import type { Principal } from './principal';

/** The appeal experts' desk: its team address and the key of its supervisors. */
export const APPEALS_DESK = 'appeals';

/** Who supervises each desk (an agency code, or `appeals`): token subjects, from the configuration. */
export type SupervisorDirectory = Readonly<Record<string, readonly string[]>>;

const SUPERVISOR_SUFFIX = ':supervisor';

/** The desk whose supervisor `address` names: `mvd` for `agency:mvd:supervisor`. */
function supervisedDesk(address: string): string | null {
  if (!address.endsWith(SUPERVISOR_SUFFIX)) return null;
  const team = address.slice(0, -SUPERVISOR_SUFFIX.length);
  if (team === APPEALS_DESK) return APPEALS_DESK;
  return team.startsWith('agency:') && team.length > 'agency:'.length ? team.slice('agency:'.length) : null;
}

/** Role addresses are shared: no subject id of a person is one. */
export function isRoleAddress(recipient: string): boolean {
  return recipient === APPEALS_DESK || recipient.startsWith(`${APPEALS_DESK}:`) || recipient.startsWith('agency:');
}

/** An inbox row to write: to whom, and through which role address it came (none: addressed to them). */
export interface InboxDelivery {
  recipient: string;
  via: string | null;
}

/**
 * Where a notification goes. A supervisor address becomes one row per configured
 * supervisor of its desk, each with its own read state; with none configured it stays
 * a shared row of the address. Team addresses stay shared rows; subjects get their own.
 */
export function inboxDeliveries(recipient: string, supervisors: SupervisorDirectory): InboxDelivery[] {
  const desk = supervisedDesk(recipient);
  const people = desk === null ? [] : (supervisors[desk] ?? []);
  if (people.length === 0) return [{ recipient, via: null }];
  return people.map((person) => ({ recipient: person, via: recipient }));
}

/**
 * The recipients whose rows `who` reads: their own, their team's (reviewers: their
 * agency's; experts: the appeals desk) and, for a supervisor by token, the team's
 * supervisor address (rows of a desk with no supervisor configured).
 */
export function readableRecipients(who: Principal): string[] {
  const own = isRoleAddress(who.id) ? [] : [who.id];
  const team = who.role === 'expert' ? APPEALS_DESK : who.role === 'reviewer' && who.agency ? `agency:${who.agency}` : null;
  if (team === null) return own;
  return [...own, team, ...(who.supervisor ? [`${team}${SUPERVISOR_SUFFIX}`] : [])];
}
