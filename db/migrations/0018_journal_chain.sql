-- Hand-written around the generated ADD COLUMN: the column starts nullable, existing
-- entries get their chain, then it becomes NOT NULL as the schema declares.
--
-- The hash of an entry: SHA-256, hex, of the UTF-8 text of a JSON array holding the
-- previous entry's hash (null for a case's first entry) and the entry's content. jsonb's
-- text form is canonical for a stored value and the instant is written in UTC, so neither
-- the session's time zone nor DateStyle changes a hash. This function is the only
-- implementation: the projection's insert, this backfill and the verification call it.
CREATE FUNCTION "journal_entry_hash"(
  "prev_hash" text, "case_number" text, "seq" integer, "at" timestamptz, "type" text,
  "actor_id" text, "actor_role" text, "client_address" text, "summary" text, "data" jsonb
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    prev_hash, case_number, seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    type, actor_id, actor_role, client_address, summary, data
  )::text, 'UTF8')), 'hex')
$$;--> statement-breakpoint
ALTER TABLE "journal" ADD COLUMN "hash" text;--> statement-breakpoint
-- One pass in (case, seq) order, carrying the previous hash: linear in the journal's size.
DO $$
DECLARE
  e record;
  prev text;
  prev_case text;
BEGIN
  FOR e IN SELECT * FROM "journal" ORDER BY "case_number", "seq" LOOP
    IF e.case_number IS DISTINCT FROM prev_case THEN
      prev := NULL;
      prev_case := e.case_number;
    END IF;
    prev := journal_entry_hash(prev, e.case_number, e.seq, e.at, e.type, e.actor_id, e.actor_role, e.client_address, e.summary, e.data);
    UPDATE "journal" SET "hash" = prev WHERE "case_number" = e.case_number AND "seq" = e.seq;
  END LOOP;
END
$$;--> statement-breakpoint
ALTER TABLE "journal" ALTER COLUMN "hash" SET NOT NULL;
