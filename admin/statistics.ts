import { dateToDay, startOfDay } from '../core/deadline-clock';
import { invalid } from '../core/failures';
import type { Db } from '../db/client';
import { periodStatistics, type StatisticsDimension, type StatisticsRow } from '../db/queries/statistics';

export interface StatisticsQuery {
  /** The period's first and last day (YYYY-MM-DD), the agencies' civil days. */
  from: string;
  to: string;
  groupBy: StatisticsDimension[];
}

export interface Statistics extends StatisticsQuery {
  rows: StatisticsRow[];
}

/** The figures of a period, one row per group (a single row when nothing groups them). */
export async function statisticsOf(db: Db, q: StatisticsQuery): Promise<Statistics> {
  if (q.from > q.to) throw invalid('the period ends before it starts', [{ path: '/querystring/to', message: 'must not be before from' }]);
  const period = { from: startOfDay(dateToDay(q.from)), before: startOfDay(dateToDay(q.to) + 1) };
  return { ...q, rows: await periodStatistics(db, period, q.groupBy) };
}
