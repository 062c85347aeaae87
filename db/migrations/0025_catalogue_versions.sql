CREATE TABLE "catalogue_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"action" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" text NOT NULL,
	"actor_role" text NOT NULL,
	"changes" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_versions" (
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"category" text NOT NULL,
	"agency" text NOT NULL,
	"description" text NOT NULL,
	"required_documents" jsonb NOT NULL,
	"form_schema" jsonb NOT NULL,
	"term_days" integer NOT NULL,
	"term_unit" text NOT NULL,
	"fee" jsonb NOT NULL,
	"min_level" text NOT NULL,
	"partial_edit_allowed" boolean NOT NULL,
	"result_type" text NOT NULL,
	"payment_term_days" integer NOT NULL,
	"info_term_days" integer NOT NULL,
	"retired" boolean DEFAULT false NOT NULL,
	"search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, '') || ' ' || code)) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_versions_code_version_pk" PRIMARY KEY("code","version")
);
--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "service_versions" ADD CONSTRAINT "service_versions_code_services_code_fk" FOREIGN KEY ("code") REFERENCES "public"."services"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "catalogue_changes_version_uq" ON "catalogue_changes" USING btree ("code","version");--> statement-breakpoint
CREATE INDEX "service_versions_search_idx" ON "service_versions" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "service_versions_category_idx" ON "service_versions" USING btree ("category");--> statement-breakpoint
CREATE INDEX "service_versions_agency_idx" ON "service_versions" USING btree ("agency");--> statement-breakpoint
-- Every service there is becomes its version 1, journaled as created by the system.
INSERT INTO "service_versions" ("code", "version", "name", "category", "agency", "description", "required_documents", "form_schema", "term_days", "term_unit", "fee", "min_level", "partial_edit_allowed", "result_type", "payment_term_days", "info_term_days", "retired", "created_at")
SELECT "code", 1, "name", "category", "agency", "description", "required_documents", "form_schema", "term_days", "term_unit", "fee", "min_level", "partial_edit_allowed", "result_type", "payment_term_days", "info_term_days", NOT "active", "updated_at"
FROM "services";--> statement-breakpoint
INSERT INTO "catalogue_changes" ("code", "version", "action", "at", "actor_id", "actor_role", "changes")
SELECT "code", 1, 'created', "updated_at", 'system', 'system', jsonb_build_object(
  'name', jsonb_build_object('from', null, 'to', "name"),
  'category', jsonb_build_object('from', null, 'to', "category"),
  'agency', jsonb_build_object('from', null, 'to', "agency"),
  'description', jsonb_build_object('from', null, 'to', "description"),
  'requiredDocuments', jsonb_build_object('from', null, 'to', "required_documents"),
  'formSchema', jsonb_build_object('from', null, 'to', "form_schema"),
  'term', jsonb_build_object('from', null, 'to', jsonb_build_object('days', "term_days", 'unit', "term_unit")),
  'fee', jsonb_build_object('from', null, 'to', "fee"),
  'minLevel', jsonb_build_object('from', null, 'to', "min_level"),
  'partialEditAllowed', jsonb_build_object('from', null, 'to', "partial_edit_allowed"),
  'resultType', jsonb_build_object('from', null, 'to', "result_type"),
  'paymentTermDays', jsonb_build_object('from', null, 'to', "payment_term_days"),
  'infoTermDays', jsonb_build_object('from', null, 'to', "info_term_days"),
  'retired', jsonb_build_object('from', null, 'to', NOT "active"))
FROM "services";
