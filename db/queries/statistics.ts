import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { cases, journal, services, serviceVersions } from '../schema';

/** What statistics may be grouped by. */
export const STATISTICS_DIMENSIONS = ['service', 'agency', 'kind', 'status'] as const;
export type StatisticsDimension = (typeof STATISTICS_DIMENSIONS)[number];

/**
 * Each dimension's value for a case. An appeal has no agency of its own (experts examine
 * it): it counts under the agency whose decision it contests, as it does under that
 * decision's service.
 */
const DIMENSION_OF: Record<StatisticsDimension, SQL> = {
  service: sql`${cases.serviceCode}`,
  agency: sql`coalesce(${cases.agency}, ${cases.detail} #>> '{contested,agency}')`,
  kind: sql`${cases.kind}`,
  status: sql`${cases.status}`,
};

/** One group's figures; see the README's "Statistics" for what each one counts. */
export interface StatisticsRow {
  service?: string | null;
  serviceName?: string | null;
  agency?: string | null;
  kind?: string;
  status?: string;
  filed: number;
  decided: number;
  approved: number;
  rejected: number;
  approvalRate: number | null;
  avgProcessingDays: number | null;
  p90ProcessingDays: number | null;
  deadlineBreaches: number;
  openOverdue: number;
  appealsFiled: number;
  appealsDecided: number;
  appealsUpheld: number;
  upheldRate: number | null;
}

/** Rates and days are rounded here, once, so the JSON and every export carry the same numbers. */
const ratio = (part: SQL, whole: SQL) => sql`round(${part}::numeric / nullif(${whole}, 0), 4)::float8`;
const days = (seconds: SQL) => sql`round((${seconds} / 86400)::numeric, 4)::float8`;

/**
 * The figures of the period [from, before) by the dimensions asked, in one statement of
 * SQL aggregates. Every case contributes a row per fact the period holds for it (filed in
 * it, decided in it, each breach in it, and open past its deadline now), each fact found
 * through an index of its own; the groups add them up.
 */
export async function periodStatistics(db: Db, period: { from: string; before: string }, by: readonly StatisticsDimension[]): Promise<StatisticsRow[]> {
  return (await db.execute(statisticsQuery(period, by))) as unknown as StatisticsRow[];
}

/** The statement periodStatistics runs. */
export function statisticsQuery({ from, before }: { from: string; before: string }, by: readonly StatisticsDimension[]): SQL {
  const dims = sql.join(
    STATISTICS_DIMENSIONS.map((d) => sql`${DIMENSION_OF[d]} as ${sql.identifier(d)}`),
    sql`, `,
  );
  const fact = (name: string, source: SQL, where: SQL) =>
    sql`select ${dims}, ${name}::text as fact, ${cases.decision} as decision, ${cases.processingSeconds} as seconds from ${source} where ${where}`;
  const grouped = by.map((d) => sql.identifier(d));
  const keys = grouped.length ? sql`${sql.join(grouped, sql`, `)}, ` : sql``;
  const decidedBy = sql`count(*) filter (where fact = 'decided' and decision in ('approved', 'rejected'))`;
  const approvedBy = sql`count(*) filter (where fact = 'decided' and decision = 'approved')`;
  const appealsDecidedBy = sql`count(*) filter (where fact = 'decided' and decision in ('upheld', 'dismissed'))`;
  const upheldBy = sql`count(*) filter (where fact = 'decided' and decision = 'upheld')`;
  return sql`
    with facts as (
      ${fact('filed', sql`${cases}`, sql`${cases.submittedAt} >= ${from} and ${cases.submittedAt} < ${before}`)}
      union all
      ${fact('decided', sql`${cases}`, sql`${cases.decidedAt} >= ${from} and ${cases.decidedAt} < ${before}`)}
      union all
      ${fact(
        'breach',
        sql`${journal} join ${cases} on ${cases.number} = ${journal.caseNumber}`,
        sql`${journal.type} = 'deadline_breached' and ${journal.at} >= ${from} and ${journal.at} < ${before}`,
      )}
      union all
      ${fact('open_overdue', sql`${cases}`, sql`${cases.overdue} and ${cases.closedAt} is null`)}
    ),
    figures as (
      select ${keys}
        count(*) filter (where fact = 'filed')::int as filed,
        ${decidedBy}::int as decided,
        ${approvedBy}::int as approved,
        (${decidedBy} - ${approvedBy})::int as rejected,
        ${ratio(approvedBy, decidedBy)} as "approvalRate",
        ${days(sql`avg(seconds) filter (where fact = 'decided')`)} as "avgProcessingDays",
        ${days(sql`percentile_cont(0.9) within group (order by seconds) filter (where fact = 'decided')`)} as "p90ProcessingDays",
        count(*) filter (where fact = 'breach')::int as "deadlineBreaches",
        count(*) filter (where fact = 'open_overdue')::int as "openOverdue",
        count(*) filter (where fact = 'filed' and kind = 'appeal')::int as "appealsFiled",
        ${appealsDecidedBy}::int as "appealsDecided",
        ${upheldBy}::int as "appealsUpheld",
        ${ratio(upheldBy, appealsDecidedBy)} as "upheldRate"
      from facts
      ${grouped.length ? sql`group by ${sql.join(grouped, sql`, `)}` : sql``}
    )
    select ${by.includes('service') ? sql`${serviceVersions.name} as "serviceName", ` : sql``}figures.*
    from figures ${by.includes('service') ? sql`left join ${services} on ${services.code} = figures.service left join ${serviceVersions} on ${serviceVersions.code} = ${services.code} and ${serviceVersions.version} = ${services.version}` : sql``}
    ${grouped.length ? sql`order by ${sql.join(grouped.map((g) => sql`figures.${g} nulls last`), sql`, `)}` : sql``}`;
}
