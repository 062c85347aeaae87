CREATE TABLE "code_sends" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"recipient_digest" text NOT NULL,
	"registration_account_id" text,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sign_in_failures" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"last_failure_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "accounts_phone_uq";--> statement-breakpoint
DROP INDEX "accounts_email_uq";--> statement-breakpoint
CREATE INDEX "code_sends_recipient_idx" ON "code_sends" USING btree ("recipient_digest","sent_at");--> statement-breakpoint
CREATE INDEX "code_sends_registration_idx" ON "code_sends" USING btree ("registration_account_id","sent_at");--> statement-breakpoint
CREATE INDEX "code_sends_sent_at_idx" ON "code_sends" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "sign_in_failures_last_idx" ON "sign_in_failures" USING btree ("last_failure_at");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_phone_uq" ON "accounts" USING btree ("phone") WHERE status = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_active_email_uq" ON "accounts" USING btree ("email") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "accounts_phone_idx" ON "accounts" USING btree ("phone");--> statement-breakpoint
CREATE INDEX "accounts_email_idx" ON "accounts" USING btree ("email");--> statement-breakpoint
-- Registrations abandoned before this release kept their phone and e-mail: give them up now,
-- as the registration workflow does from now on when one ends unconfirmed.
UPDATE "accounts" SET "status" = 'released', "phone" = NULL, "email" = NULL, "updated_at" = now()
WHERE "status" = 'pending'
  AND EXISTS (SELECT 1 FROM "cases" c WHERE c."applicant_id" = "accounts"."id" AND c."kind" = 'identity' AND c."status" = 'abandoned' AND c."detail"->>'purpose' = 'registration');
