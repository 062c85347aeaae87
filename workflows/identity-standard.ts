/**
 * Raising an account to "standard" (SPEC §4.2): passport and SNILS are checked against
 * the state registries, which are slow and sometimes down. The check is retried until
 * they answer; if that takes longer than the legal limit (24 h for citizens, 5 days for
 * foreign citizens) the citizen gains the right to complain, and the check goes on.
 */
import { ActivityFailure, ApplicationFailure, condition, continueAsNew, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BY_SYSTEM, now, type ActionMeta } from '../core/case-model';
import type { StandardUpgradeDetail } from '../core/case-projection';
import { FailureType } from '../core/failures';
import type { StandardUpgradeStatus } from '../core/identity';
import type { RegistryAnswer } from '../identity/registry';
import { IdentityCase, startedIdentity, type IdentityState, type IdentityView } from './machinery/identity-case';
import type { DueTimer } from './machinery/timers';

export interface StandardUpgradeInput {
  number: string;
  accountId: string;
  citizenship: 'RU' | 'foreign';
  meta: ActionMeta;
  /** Set by continue-as-new only. */
  resume?: StandardUpgradeState;
}

export interface StandardUpgradeState extends IdentityState<StandardUpgradeStatus> {
  limitAt: string;
  complaintRightSince: string | null;
  reason: string | null;
  /** The registries' answer once it came (absent in cases begun before it was kept). */
  registry?: RegistryAnswer | null;
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

/** A check that can never succeed (its data is gone): the case ends instead of waiting for ever. */
const permanent = (err: unknown): string | null =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FailureType.Permanent ? err.cause.message : null;

export class StandardUpgradeCase extends IdentityCase<StandardUpgradeStatus, StandardUpgradeState, StandardUpgradeDetail> {
  constructor(
    s: StandardUpgradeState,
    private readonly citizenship: StandardUpgradeInput['citizenship'],
  ) {
    super(s);
  }

  static start(input: StandardUpgradeInput): StandardUpgradeCase {
    const common = startedIdentity(input, 'checking' as const);
    const limitAt = new Date(Date.parse(common.startedAt) + LIMIT_HOURS[input.citizenship] * 3_600_000).toISOString();
    return new StandardUpgradeCase({ ...common, limitAt, complaintRightSince: null, reason: null }, input.citizenship);
  }

  protected view(): IdentityView<StandardUpgradeDetail> {
    const s = this.s;
    return {
      legalDueDate: s.limitAt.slice(0, 10),
      expectedDueDate: s.limitAt.slice(0, 10),
      dueAt: s.status === 'checking' ? s.limitAt : null,
      overdue: s.complaintRightSince !== null,
      detail: {
        purpose: 'level_upgrade',
        levelRequested: 'standard',
        method: 'registry_check',
        citizenship: this.citizenship,
        checkLimitAt: s.limitAt,
        complaintRightSince: s.complaintRightSince,
        reason: s.reason,
      },
    };
  }

  current(): UpgradeAnswer {
    return { number: this.s.number, status: this.s.status, version: this.s.journal.version };
  }

  private get hours(): number {
    return LIMIT_HOURS[this.citizenship];
  }

  begin(meta: ActionMeta): void {
    this.journal.commit(meta, this.s.startedAt, [
      {
        type: 'registry_check_started',
        summary: `Passport and SNILS sent to the state registries; the answer is due within ${this.hours} h`,
        data: { limitAt: this.s.limitAt },
      },
    ]);
  }

  /** Asks the registries (again, after a continue-as-new); their answer or failure is journaled. */
  check(): void {
    void checkRegistries(this.s.number).then(
      (a) => this.answered(a, a.matched ? 'The registries confirmed the data' : `The registries did not confirm the data: ${a.reason}`),
      (err: unknown) => {
        const reason = permanent(err);
        if (reason === null) throw err;
        this.answered({ matched: false, reason: `the data could not be checked: ${reason}` }, `The registry check failed: ${reason}`);
      },
    );
  }

  private answered(a: RegistryAnswer, summary: string): void {
    this.s.registry = a;
    this.journal.commit(BY_SYSTEM, now(), [{ type: 'registry_answered', summary }]);
  }

  /** Raises the level when the registries confirmed the data (and the SNILS is this account's alone). */
  async finish(): Promise<void> {
    const s = this.s;
    const result = s.registry ?? null;
    const granted = result?.matched ? await grantStandardLevel({ caseNumber: s.number, accountId: s.accountId }) : null;
    if (!granted?.granted) s.reason = granted?.reason ?? (result && !result.matched ? result.reason : 'not confirmed');
    const confirmed = granted?.granted === true;
    this.close(confirmed ? 'confirmed' : 'rejected', BY_SYSTEM, {
      type: confirmed ? 'level_granted' : 'level_refused',
      summary: confirmed ? 'Account raised to level standard' : `Level standard refused: ${s.reason}`,
      notify: [{ recipient: s.accountId, type: confirmed ? 'identity_level_changed' : 'status_changed', title: `${s.number}: ${confirmed ? 'учётная запись стандартная' : 'данные не подтверждены'}` }],
    });
  }

  dueTimers(): Array<DueTimer | null> {
    const s = this.s;
    if (s.complaintRightSince) return [];
    return [
      {
        at: s.limitAt,
        fire: () => {
          s.complaintRightSince = now();
          this.journal.commit(BY_SYSTEM, s.complaintRightSince, [
            {
              type: 'complaint_right_granted',
              summary: `The registry check took longer than ${this.hours} h: you may complain; the check continues`,
              notify: [{ recipient: s.accountId, type: 'status_changed', title: `${s.number}: проверка данных задерживается` }],
            },
          ]);
        },
      },
    ];
  }
}

export async function standardUpgradeWorkflow(input: StandardUpgradeInput): Promise<UpgradeAnswer> {
  const c = input.resume ? new StandardUpgradeCase(input.resume, input.citizenship) : StandardUpgradeCase.start(input);
  setHandler(upgradeStateQuery, () => c.s);
  setHandler(upgradeRegisteredUpdate, async () => {
    await condition(() => c.journal.version >= 1);
    await c.journal.settled(1);
    return c.current();
  });
  void c.journal.runProjector();

  if (!input.resume) c.begin(input.meta);
  if (!c.s.registry) c.check();
  if ((await c.waitUntil(() => !!c.s.registry)) === 'continue_as_new') {
    await c.journal.drained();
    await continueAsNew<typeof standardUpgradeWorkflow>({ ...input, resume: c.s });
  }
  await c.finish();
  await c.journal.drained();
  return c.current();
}
