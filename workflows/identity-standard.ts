/**
 * Raising an account to "standard" (SPEC §4.2): passport and SNILS are checked against
 * the state registries, which are slow and sometimes down. The check is retried until
 * they answer; if that takes longer than the legal limit (24 h for citizens, 5 days for
 * foreign citizens) the citizen gains the right to complain, and the check goes on.
 */
import { condition, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ActionMeta, CaseProjection } from '../core/case-model';
import { FailureType } from '../core/failures';
import type { RegistryAnswer } from '../identity/registry';
import { CaseJournal, type JournalCounters } from './machinery/case-journal';
import { identityProjection } from './machinery/identity-projection';
import { runDeadlines } from './machinery/timers';

export type StandardUpgradeStatus = 'checking' | 'confirmed' | 'rejected';

/** The read model's detail of an upgrade to the standard level (registry checks). */
export interface StandardUpgradeDetail {
  purpose: 'level_upgrade';
  levelRequested: 'standard';
  method: 'registry_check';
  citizenship: 'RU' | 'foreign';
  checkLimitAt: string;
  complaintRightSince: string | null;
  reason: string | null;
}

export interface StandardUpgradeInput {
  number: string;
  accountId: string;
  citizenship: 'RU' | 'foreign';
  meta: ActionMeta;
}

export interface StandardUpgradeState {
  number: string;
  accountId: string;
  status: StandardUpgradeStatus;
  startedAt: string;
  limitAt: string;
  complaintRightSince: string | null;
  reason: string | null;
  closedAt: string | null;
  journal: JournalCounters;
}

export interface UpgradeAnswer {
  number: string;
  status: StandardUpgradeStatus;
  version: number;
}

export const LIMIT_HOURS = { RU: 24, foreign: 5 * 24 } as const;

export const upgradeRegisteredUpdate = defineUpdate<UpgradeAnswer, []>('registered');
export const upgradeStateQuery = defineQuery<StandardUpgradeState>('state');

const { checkRegistries } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  // No attempt limit: the case waits for the registries however long they are down.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [FailureType.Permanent] },
});
const { grantStandardLevel } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.Permanent] },
});

const now = () => new Date().toISOString();

export async function standardUpgradeWorkflow(input: StandardUpgradeInput): Promise<UpgradeAnswer> {
  const startedAt = now();
  const s: StandardUpgradeState = {
    number: input.number,
    accountId: input.accountId,
    status: 'checking',
    startedAt,
    limitAt: new Date(Date.parse(startedAt) + LIMIT_HOURS[input.citizenship] * 3_600_000).toISOString(),
    complaintRightSince: null,
    reason: null,
    closedAt: null,
    journal: { version: 0, seq: 0 },
  };
  const projection = (): CaseProjection =>
    identityProjection(s, {
      legalDueDate: s.limitAt.slice(0, 10),
      expectedDueDate: s.limitAt.slice(0, 10),
      dueAt: s.status === 'checking' ? s.limitAt : null,
      overdue: s.complaintRightSince !== null,
      detail: {
        purpose: 'level_upgrade',
        levelRequested: 'standard',
        method: 'registry_check',
        citizenship: input.citizenship,
        checkLimitAt: s.limitAt,
        complaintRightSince: s.complaintRightSince,
        reason: s.reason,
      },
    });
  const journal = new CaseJournal(s.journal, projection);
  const answer = (): UpgradeAnswer => ({ number: s.number, status: s.status, version: journal.version });
  setHandler(upgradeStateQuery, () => s);
  setHandler(upgradeRegisteredUpdate, async () => {
    await condition(() => journal.version >= 1);
    await journal.settled(1);
    return answer();
  });
  void journal.runProjector();

  const hours = LIMIT_HOURS[input.citizenship];
  journal.commit(input.meta, startedAt, [
    {
      type: 'registry_check_started',
      summary: `Passport and SNILS sent to the state registries; the answer is due within ${hours} h`,
      data: { limitAt: s.limitAt },
    },
  ]);

  const system = { actor: { id: 'system', role: 'system' as const } };
  let registry: RegistryAnswer | null = null;
  void checkRegistries(s.number).then((a) => {
    registry = a;
    journal.commit(system, now(), [
      {
        type: 'registry_answered',
        summary: a.matched ? 'The registries confirmed the data' : `The registries did not confirm the data: ${a.reason}`,
      },
    ]);
  });

  await runDeadlines(
    journal,
    () => registry !== null,
    () => [
      s.complaintRightSince
        ? null
        : {
            at: s.limitAt,
            fire: () => {
              s.complaintRightSince = now();
              journal.commit(system, s.complaintRightSince, [
                {
                  type: 'complaint_right_granted',
                  summary: `The registry check took longer than ${hours} h: you may complain; the check continues`,
                  notify: [{ recipient: s.accountId, type: 'status_changed', title: `${s.number}: проверка данных задерживается` }],
                },
              ]);
            },
          },
    ],
    () => false,
  );

  const result = registry as RegistryAnswer | null;
  const granted = result?.matched ? await grantStandardLevel({ caseNumber: s.number, accountId: s.accountId }) : null;
  s.closedAt = now();
  if (granted?.granted) {
    s.status = 'confirmed';
  } else {
    s.status = 'rejected';
    s.reason = granted?.reason ?? (result && !result.matched ? result.reason : 'not confirmed');
  }
  journal.commit(system, s.closedAt, [
    {
      type: s.status === 'confirmed' ? 'level_granted' : 'level_refused',
      summary: s.status === 'confirmed' ? 'Account raised to level standard' : `Level standard refused: ${s.reason}`,
      notify: [{ recipient: s.accountId, type: 'personal_data_updated', title: `${s.number}: ${s.status === 'confirmed' ? 'учётная запись стандартная' : 'данные не подтверждены'}` }],
    },
  ]);
  await journal.drained();
  return answer();
}
