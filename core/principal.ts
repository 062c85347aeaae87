import type { AccountLevel, Actor, Role } from './case-model';

/** Who is calling, as the identity provider vouches for them. */
export interface Principal {
  id: string;
  role: Role;
  /** reviewers and experts: their agency */
  agency?: string;
  supervisor?: boolean;
  /** citizens: the account level the identity provider vouches for */
  level?: AccountLevel;
}

/** The actor recorded in the journal for what this principal does. */
export function actorOf(p: Principal): Actor {
  return { id: p.id, role: p.role, agency: p.agency, supervisor: p.supervisor };
}
