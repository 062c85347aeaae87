import { Counter, Histogram, type Registry } from 'prom-client';
import { CASE_KINDS } from '../core/case-model';
import type { ProjectionWrite } from '../db/queries/projection';

/** The journal entries of an official's decision: applications and passport changes, appeals. */
const DECISION_TYPES = new Set(['approved', 'rejected', 'upheld', 'dismissed']);

/** From milliseconds (a local activity's usual lag) to the projection's retry backoff (minutes). */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * What the cases do, counted from what their projections wrote to Postgres: a row is
 * inserted once, whatever the retries of the activity or the replays of the workflow,
 * so every event counts exactly once (workflow code counts nothing: it replays).
 */
export function createCaseMetrics(registry: Registry) {
  const registers = [registry];
  const started = new Counter({ name: 'cases_started_total', help: 'Cases filed or started: their first projection created the read model row', labelNames: ['kind'], registers });
  const finished = new Counter({
    name: 'cases_finished_total',
    help: 'Cases closed (closed_at set), by the status they closed with; a case reopened on appeal closes again',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const decisions = new Counter({
    name: 'cases_decisions_total',
    help: 'Decisions journaled: approved or rejected (applications, passport changes), upheld or dismissed (appeals)',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const warnings = new Counter({ name: 'cases_deadline_warnings_total', help: 'Processing deadlines at 80 % of their term: the official was warned', labelNames: ['kind'], registers });
  const breaches = new Counter({ name: 'cases_deadline_breaches_total', help: 'Processing deadlines breached and escalated to the supervisors', labelNames: ['kind'], registers });
  const reminders = new Counter({ name: 'cases_reminders_total', help: "Reminders of a citizen's deadline (3 and 1 days before it)", labelNames: ['kind'], registers });
  const lag = new Histogram({
    name: 'cases_projection_lag_seconds',
    help: "From a journal entry's commit in the workflow to its row in Postgres",
    labelNames: ['kind'],
    buckets: LAG_BUCKETS,
    registers,
  });
  // Zeros from the start: a rate over a series that appears with its first event misses that event.
  for (const kind of CASE_KINDS) for (const counter of [started, warnings, breaches, reminders]) counter.inc({ kind }, 0);
  const byType: Record<string, Counter> = { deadline_warning: warnings, deadline_breached: breaches, reminder_sent: reminders };

  return {
    /** After the projection's transaction committed: `write` holds only what it changed. */
    projected(write: ProjectionWrite, now = Date.now()): void {
      const { kind } = write;
      if (write.started) started.inc({ kind });
      if (write.closedAs) finished.inc({ kind, outcome: write.closedAs });
      for (const entry of write.entries) {
        if (DECISION_TYPES.has(entry.type)) decisions.inc({ kind, outcome: entry.type });
        byType[entry.type]?.inc({ kind });
        // Entries are stamped with the workflow's clock, which a time-skipping test server runs ahead.
        lag.observe({ kind }, Math.max(0, now - Date.parse(entry.at)) / 1000);
      }
    },
  };
}

export type CaseMetrics = ReturnType<typeof createCaseMetrics>;
