CREATE TABLE "issued_documents" (
	"code" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"case_number" text NOT NULL,
	"round" text NOT NULL,
	"holder_id" text NOT NULL,
	"result_type" text NOT NULL,
	"title" text NOT NULL,
	"printed" jsonb NOT NULL,
	"appointment" jsonb,
	"sha256" text,
	"signature" text,
	"key_id" text,
	"issued_at" timestamp with time zone NOT NULL,
	"superseded_by" text,
	"superseded_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text
);
--> statement-breakpoint
DROP TABLE "results" CASCADE;--> statement-breakpoint
ALTER TABLE "issued_documents" ADD CONSTRAINT "issued_documents_case_number_case_registry_number_fk" FOREIGN KEY ("case_number") REFERENCES "public"."case_registry"("number") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issued_documents" ADD CONSTRAINT "issued_documents_superseded_by_issued_documents_code_fk" FOREIGN KEY ("superseded_by") REFERENCES "public"."issued_documents"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "issued_documents_round_uq" ON "issued_documents" USING btree ("case_number","round");--> statement-breakpoint
CREATE UNIQUE INDEX "issued_documents_sha256_uq" ON "issued_documents" USING btree ("sha256");