CREATE TABLE "access_journal" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"actor_agency" text,
	"action" text NOT NULL,
	"resource_kind" text NOT NULL,
	"resource_id" text NOT NULL,
	"subject_id" text,
	"client_address" text NOT NULL,
	"request_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "document_blobs" (
	"sha256" text PRIMARY KEY NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "access_journal_subject_idx" ON "access_journal" USING btree ("subject_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_journal_actor_idx" ON "access_journal" USING btree ("actor_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_journal_at_idx" ON "access_journal" USING btree ("at");
--> statement-breakpoint
-- PDF, JPEG and PNG are compressed already: kept out of line without another try at compressing them.
ALTER TABLE "document_blobs" ALTER COLUMN "content" SET STORAGE EXTERNAL;
