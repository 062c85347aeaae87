-- Hand-written backfill (drizzle-kit generate --custom): cases projected before
-- escalated_at existed get it from their detail, as core/escalation.ts computes it.
UPDATE "cases" SET "escalated_at" = ("detail" -> 'deadline' ->> 'breachedAt')::timestamptz
WHERE "kind" <> 'identity' AND "detail" -> 'deadline' ->> 'breachedAt' IS NOT NULL;
