-- What statistics read of a case's detail, as stored generated columns: Postgres derives
-- them from the detail whenever the projection writes the row (so a retried or replayed
-- projection writes the same values), and this migration's rewrite of the table fills
-- them in for every row projected before. These functions are the only implementation.
--
-- Instants in the detail are ISO 8601 in UTC ("2026-03-02T10:00:00.000Z"), which
-- timestamptz reads the same whatever the session's TimeZone or DateStyle: that is what
-- makes the functions IMMUTABLE, as a generated column requires.
CREATE FUNCTION "case_decision"("detail" jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT "detail" #>> '{decision,outcome}'
$$;--> statement-breakpoint
CREATE FUNCTION "case_decided_at"("detail" jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ("detail" #>> '{decision,decidedAt}')::timestamptz
$$;--> statement-breakpoint
-- The time the processing deadline's clock ran up to the decision: from the start of its
-- term (the clock's first history entry, `term_started`: filing, the payment that started
-- it, or the reopening on appeal) to the decision, less every `pause` interval (an
-- information request, an unpaid invoice, a cancellation) within that span; extensions
-- move the due date, not the clock, and count. Null without a decision, or for a detail
-- that records no clock intervals (passport changes projected before they did).
CREATE FUNCTION "case_processing_seconds"("detail" jsonb) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (extract(epoch FROM t.decided - t.started) - coalesce((
    SELECT sum(extract(epoch FROM least(coalesce((i ->> 'to')::timestamptz, t.decided), t.decided) - greatest((i ->> 'from')::timestamptz, t.started)))
    FROM jsonb_array_elements("detail" #> '{deadline,intervals}') AS i
    WHERE i ->> 'kind' = 'pause'
      AND (i ->> 'from')::timestamptz < t.decided
      AND coalesce((i ->> 'to')::timestamptz, t.decided) > t.started
  ), 0))::double precision
  FROM (SELECT case_decided_at("detail") AS decided, ("detail" #>> '{deadline,history,0,at}')::timestamptz AS started) AS t
  WHERE t.decided IS NOT NULL AND t.started IS NOT NULL AND jsonb_typeof("detail" #> '{deadline,intervals}') = 'array'
$$;--> statement-breakpoint
-- One statement, so the table is rewritten once for the three.
ALTER TABLE "cases"
  ADD COLUMN "decision" text GENERATED ALWAYS AS (case_decision(detail)) STORED,
  ADD COLUMN "decided_at" timestamp with time zone GENERATED ALWAYS AS (case_decided_at(detail)) STORED,
  ADD COLUMN "processing_seconds" double precision GENERATED ALWAYS AS (case_processing_seconds(detail)) STORED;--> statement-breakpoint
CREATE INDEX "cases_filed_order_idx" ON "cases" USING btree ("submitted_at","number");--> statement-breakpoint
CREATE INDEX "cases_due_order_idx" ON "cases" USING btree (coalesce("expected_due_date", 'infinity'::date),"number");--> statement-breakpoint
CREATE INDEX "cases_decided_idx" ON "cases" USING btree ("decided_at") WHERE "cases"."decided_at" is not null;--> statement-breakpoint
CREATE INDEX "cases_open_overdue_idx" ON "cases" USING btree ("kind") WHERE "cases"."overdue" and "cases"."closed_at" is null;--> statement-breakpoint
CREATE INDEX "journal_breaches_idx" ON "journal" USING btree ("at") WHERE "journal"."type" = 'deadline_breached';
